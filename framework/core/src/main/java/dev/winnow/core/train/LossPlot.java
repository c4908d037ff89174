package dev.winnow.core.train;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.imageio.ImageIO;

/** A PNG of the training loss (left) and the evaluation metric (right) against the step, written atomically. */
public final class LossPlot {
    private LossPlot() {}

    public static void write(List<Map<String, Object>> rows, String metric, Path file) {
        System.setProperty("java.awt.headless", "true");
        List<double[]> loss = new ArrayList<>();
        List<double[]> eval = new ArrayList<>();
        for (Map<String, Object> r : rows) {
            if (!(r.get("step") instanceof Number step)) {
                continue;
            }
            if (r.get("loss") instanceof Number l) {
                loss.add(new double[] {step.doubleValue(), l.doubleValue()});
            }
            if (r.get("eval_" + metric) instanceof Number e) {
                eval.add(new double[] {step.doubleValue(), e.doubleValue()});
            }
        }
        BufferedImage img = new BufferedImage(1000, 420, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, img.getWidth(), img.getHeight());
        panel(g, 0, "training loss", loss, new Color(0x1f77b4));
        panel(g, 500, "eval " + metric, eval, new Color(0xd62728));
        g.dispose();
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            ImageIO.write(img, "png", tmp.toFile());
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    private static void panel(Graphics2D g, int x0, String title, List<double[]> points, Color color) {
        int left = x0 + 60;
        int right = x0 + 480;
        int top = 40;
        int bottom = 370;
        g.setColor(Color.DARK_GRAY);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
        g.drawString(title, left, 25);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        g.drawLine(left, bottom, right, bottom);
        g.drawLine(left, top, left, bottom);
        if (points.isEmpty()) {
            g.drawString("no data yet", left + 150, (top + bottom) / 2);
            return;
        }
        double minX = points.stream().mapToDouble(p -> p[0]).min().orElse(0);
        double maxX = points.stream().mapToDouble(p -> p[0]).max().orElse(1);
        double minY = points.stream().mapToDouble(p -> p[1]).min().orElse(0);
        double maxY = points.stream().mapToDouble(p -> p[1]).max().orElse(1);
        if (maxX == minX) {
            maxX = minX + 1;
        }
        if (maxY == minY) {
            maxY = minY + 1e-6;
            minY = minY - 1e-6;
        }
        g.drawString(String.format(Locale.ROOT, "%.4g", maxY), x0 + 2, top + 4);
        g.drawString(String.format(Locale.ROOT, "%.4g", minY), x0 + 2, bottom);
        g.drawString(String.format(Locale.ROOT, "%.0f", minX), left, bottom + 15);
        g.drawString(String.format(Locale.ROOT, "step %.0f", maxX), right - 60, bottom + 15);
        g.setColor(color);
        g.setStroke(new BasicStroke(1.8f));
        int px = -1;
        int py = -1;
        for (double[] p : points) {
            int x = (int) (left + (p[0] - minX) / (maxX - minX) * (right - left));
            int y = (int) (bottom - (p[1] - minY) / (maxY - minY) * (bottom - top));
            if (px >= 0) {
                g.drawLine(px, py, x, y);
            }
            g.fillOval(x - 2, y - 2, 4, 4);
            px = x;
            py = y;
        }
    }
}

package dev.winnow.it;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.Set;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.Label;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;

/**
 * No production class of Winnow (framework or built-in plugin) calls DJL's {@code NDArray} overloads that take a
 * {@code Number} for an operation whose autograd node saves that operand (mul, div, pow, maximum, minimum, their
 * reversed and in-place forms). DJL makes the scalar with {@code torch::from_blob} over a Java direct buffer and
 * closes it right after the call; backward then reads memory the garbage collector may have freed, which gave NaN or
 * silently wrong gradients (see {@code ScalarOperandsTest} in framework/nn). Use {@code dev.winnow.nn.Ops.mul} and
 * friends, or an operand made with {@code NDManager.full}. The scan reads the bytecode of every Winnow class on the
 * test class path, so a new call site fails here with its class, method and line.
 */
class ScalarOperandGuardTest {
    private static final Set<String> OWNERS = Set.of("ai/djl/ndarray/NDArray", "ai/djl/pytorch/engine/PtNDArray",
            "ai/djl/ndarray/BaseNDArray", "ai/djl/ndarray/NDArrayAdapter");
    private static final Set<String> SAVED = Set.of("mul", "muli", "div", "divi", "pow", "powi", "maximum",
            "maximumi", "minimum", "minimumi", "rdiv", "rdivi", "rpow", "rpowi", "mod", "modi", "rmod", "rmodi");
    /** Classes whose arithmetic never runs under a gradient graph (optimizer updates under no-grad). */
    private static final Set<String> NO_GRAPH = Set.of("dev/winnow/core/train/AdamW", "dev/winnow/core/train/GradClipper");

    @Test
    void noProductionClassPassesAScalarThatAutogradSaves() {
        List<String> found = new ArrayList<>();
        int classes = 0;
        for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
            Path p = Path.of(entry);
            String name = p.getFileName() == null ? "" : p.getFileName().toString();
            boolean winnowJar = name.startsWith("winnow-") && name.endsWith(".jar") && !name.endsWith("-tests.jar");
            boolean classesDir = Files.isDirectory(p) && name.equals("classes") && !entry.contains("integration-tests");
            if (winnowJar) {
                classes += scanJar(p, found);
            } else if (classesDir) {
                classes += scanDir(p, found);
            }
        }
        assertTrue(classes > 200, "scanned the Winnow classes on the class path (" + classes + ")");
        assertTrue(found.isEmpty(), "DJL Number overloads whose scalar autograd saves (use dev.winnow.nn.Ops or "
                + "NDManager.full):\n  " + String.join("\n  ", found));
    }

    private static int scanJar(Path jar, List<String> found) {
        int n = 0;
        try (JarFile f = new JarFile(jar.toFile())) {
            for (Enumeration<JarEntry> e = f.entries(); e.hasMoreElements();) {
                JarEntry je = e.nextElement();
                if (je.getName().startsWith("dev/winnow/") && je.getName().endsWith(".class")) {
                    try (InputStream in = f.getInputStream(je)) {
                        scan(in.readAllBytes(), found);
                        n++;
                    }
                }
            }
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        return n;
    }

    private static int scanDir(Path dir, List<String> found) {
        try (Stream<Path> s = Files.walk(dir)) {
            List<Path> files = s.filter(f -> f.toString().endsWith(".class") && f.toString().contains("/dev/winnow/")).toList();
            for (Path f : files) {
                scan(Files.readAllBytes(f), found);
            }
            return files.size();
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    private static void scan(byte[] bytes, List<String> found) {
        ClassReader reader = new ClassReader(bytes);
        String owner = reader.getClassName();
        String outer = owner.contains("$") ? owner.substring(0, owner.indexOf('$')) : owner;
        if (NO_GRAPH.contains(outer)) {
            return;
        }
        reader.accept(new ClassVisitor(Opcodes.ASM9) {
            @Override
            public MethodVisitor visitMethod(int access, String method, String desc, String signature, String[] exceptions) {
                return new MethodVisitor(Opcodes.ASM9) {
                    int line;

                    @Override
                    public void visitLineNumber(int l, Label start) {
                        line = l;
                    }

                    @Override
                    public void visitMethodInsn(int opcode, String o, String name, String d, boolean itf) {
                        if (OWNERS.contains(o) && SAVED.contains(name) && d.startsWith("(Ljava/lang/Number;)")) {
                            found.add(owner.replace('/', '.') + "." + method + " line " + line + ": " + name + "(Number)");
                        }
                    }
                };
            }
        }, ClassReader.SKIP_FRAMES);
    }
}

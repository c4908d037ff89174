package dev.winnow.core.lora;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.winnow.api.UserException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.jspecify.annotations.Nullable;

/**
 * The fields of a PEFT {@code adapter_config.json} that applying a LoRA adapter needs. Features that change the
 * adapter's arithmetic and that Winnow does not implement (DoRA, {@code fan_in_fan_out}, trained biases, per-layer
 * rank or alpha patterns) are refused naming the key, rather than silently giving other scores.
 *
 * @param rank {@code r} (PEFT's default 8)
 * @param alpha {@code lora_alpha} (PEFT's default 8)
 * @param dropout {@code lora_dropout} (inactive at inference)
 * @param targets {@code target_modules} as a list of names ({@code all-linear} included); empty when it is a regex
 * @param targetRegex {@code target_modules} given as a string: a regex matched against whole module names
 * @param rslora {@code use_rslora}: scale {@code alpha / sqrt(r)} instead of {@code alpha / r}
 * @param baseModel {@code base_model_name_or_path}
 * @param revision {@code revision} of the base model
 * @param layerSubset {@code layers_to_transform} or {@code exclude_modules} narrow the targets: then only the
 *     tensors present say which layers are adapted
 */
public record AdapterConfig(int rank, double alpha, double dropout, List<String> targets, @Nullable String targetRegex,
        boolean rslora, @Nullable String baseModel, @Nullable String revision, boolean layerSubset) {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Reads {@code dir/adapter_config.json}. */
    public static AdapterConfig read(Path dir) {
        Path file = dir.resolve(Lora.CONFIG_FILE);
        if (!Files.isRegularFile(file)) {
            throw new UserException(dir + " is not a PEFT adapter directory: it has no " + Lora.CONFIG_FILE);
        }
        Map<String, Object> c;
        try {
            c = JSON.readValue(file.toFile(), new TypeReference<Map<String, Object>>() {});
        } catch (JsonProcessingException e) {
            throw new UserException(file + ":" + (e.getLocation() == null ? 0 : e.getLocation().getLineNr()) + ": malformed JSON: "
                    + e.getOriginalMessage());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        Object type = c.get("peft_type");
        if (type != null && !"LORA".equals(type)) {
            throw new UserException(file + ": peft_type '" + type + "' is not supported; Winnow applies LORA adapters");
        }
        refuse(c, file, "use_dora", true, "DoRA adapters are not supported");
        refuse(c, file, "fan_in_fan_out", true, "fan_in_fan_out (Conv1D-style weights) is not supported");
        Object bias = c.get("bias");
        if (bias != null && !"none".equals(bias)) {
            throw new UserException(file + ": bias '" + bias + "' is not supported (adapters with trained biases); supported: none");
        }
        for (String key : List.of("rank_pattern", "alpha_pattern")) {
            if (c.get(key) instanceof Map<?, ?> m && !m.isEmpty()) {
                throw new UserException(file + ": " + key + " " + m + " is not supported (one rank and alpha for every layer); "
                        + "leave it empty");
            }
        }
        int rank = (int) number(c, "r", 8, file);
        if (rank <= 0 || rank != number(c, "r", 8, file)) {
            throw new UserException(file + ": r must be a positive integer, found " + c.get("r"));
        }
        double alpha = number(c, "lora_alpha", 8, file);
        double dropout = number(c, "lora_dropout", 0, file);
        Object t = c.get("target_modules");
        List<String> targets = new ArrayList<>();
        String regex = null;
        if (t instanceof String s) {
            if (s.equals("all-linear")) {
                targets.add(s);
            } else {
                try {
                    Pattern.compile(s);
                } catch (PatternSyntaxException e) {
                    throw new UserException(file + ": target_modules '" + s + "' is not a valid regular expression: " + e.getDescription());
                }
                regex = s;
            }
        } else if (t instanceof List<?> list) {
            for (Object o : list) {
                if (!(o instanceof String s)) {
                    throw new UserException(file + ": target_modules must hold module names, found " + o);
                }
                targets.add(s);
            }
        } else if (t != null) {
            throw new UserException(file + ": target_modules must be a list of module names or a regex string, found " + t);
        }
        boolean subset = c.get("layers_to_transform") != null
                || (c.get("exclude_modules") != null && !(c.get("exclude_modules") instanceof List<?> l && l.isEmpty()));
        return new AdapterConfig(rank, alpha, dropout, List.copyOf(targets), regex, Boolean.TRUE.equals(c.get("use_rslora")),
                c.get("base_model_name_or_path") instanceof String b && !b.isBlank() ? b : null,
                c.get("revision") instanceof String r && !r.isBlank() ? r : null, subset);
    }

    /** PEFT's scaling of {@code B A x}: {@code alpha / r}, or {@code alpha / sqrt(r)} with rsLoRA. */
    public double scale() {
        return rslora ? alpha / Math.sqrt(rank) : alpha / rank;
    }

    /** Whether every layer that target_modules names must have an adapter (no layer subset, some target given). */
    boolean coversAllTargets() {
        return !layerSubset && (targetRegex != null || !targets.isEmpty());
    }

    /** Whether target_modules selects {@code module} (a full module name), as PEFT matches it. */
    boolean targets(String module) {
        if (targetRegex != null) {
            return Pattern.compile(targetRegex).matcher(module).matches();
        }
        for (String t : targets) {
            if (t.equals("all-linear") || module.equals(t) || module.endsWith("." + t)) {
                return true;
            }
        }
        return false;
    }

    String describeTargets() {
        return targetRegex != null ? "'" + targetRegex + "'" : targets.toString();
    }

    private static void refuse(Map<String, Object> c, Path file, String key, Object value, String why) {
        if (value.equals(c.get(key))) {
            throw new UserException(file + ": " + key + " " + value + ": " + why);
        }
    }

    private static double number(Map<String, Object> c, String key, double fallback, Path file) {
        Object v = c.get(key);
        if (v == null) {
            return fallback;
        }
        if (v instanceof Number n) {
            return n.doubleValue();
        }
        throw new UserException(file + ": " + key + " must be a number, found " + v);
    }
}

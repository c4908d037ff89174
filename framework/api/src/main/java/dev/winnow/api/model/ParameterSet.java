package dev.winnow.api.model;

import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/** A model's weights in a stable order, by name. */
public final class ParameterSet {
    private final Map<String, Parameter> byName = new LinkedHashMap<>();

    public void add(Parameter parameter) {
        if (byName.putIfAbsent(parameter.name(), parameter) != null) {
            throw new IllegalArgumentException("duplicate parameter " + parameter.name());
        }
    }

    public Optional<Parameter> get(String name) {
        return Optional.ofNullable(byName.get(name));
    }

    public Collection<Parameter> all() {
        return Collections.unmodifiableCollection(byName.values());
    }

    public Collection<Parameter> trainable() {
        return byName.values().stream().filter(Parameter::trainable).toList();
    }

    public int size() {
        return byName.size();
    }

    public long elementCount() {
        return byName.values().stream().mapToLong(p -> p.array().size()).sum();
    }
}

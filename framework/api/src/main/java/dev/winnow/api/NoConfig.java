package dev.winnow.api;

/** The config record of a component that takes no options. */
public record NoConfig() {}

package dev.winnow.cli;

/** The Winnow version from the jar manifest, or {@code dev} when running from classes. */
final class Version {
    private Version() {}

    static String current() {
        String v = Main.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }
}

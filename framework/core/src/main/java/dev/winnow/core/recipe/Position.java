package dev.winnow.core.recipe;

/** Where a recipe value was written: file, 1-based line and column. */
public record Position(String file, int line, int column) {
    public static final Position COMMAND_LINE = new Position("<command line>", 1, 1);

    public static Position defaultOf(String key) {
        return new Position("<default of " + key + ">", 1, 1);
    }

    @Override
    public String toString() {
        return file + ":" + line + ":" + column;
    }
}

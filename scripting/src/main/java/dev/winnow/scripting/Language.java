package dev.winnow.scripting;

import java.nio.file.Path;
import java.util.Locale;

/** A guest language a {@link ScriptSession} runs: GraalVM's JavaScript (GraalJS) or Python (GraalPy). */
public enum Language {
    /** ECMAScript 2024 on GraalJS; polyglot language id {@code "js"}, files {@code *.js} and {@code *.mjs}. */
    JS("js", "JavaScript"),
    /** Python 3.12 on GraalPy; polyglot language id {@code "python"}, files {@code *.py}. */
    PYTHON("python", "Python");

    private final String id;
    private final String displayName;

    Language(String id, String displayName) {
        this.id = id;
        this.displayName = displayName;
    }

    /**
     * The GraalVM polyglot language id.
     *
     * @return {@code "js"} or {@code "python"}
     */
    public String id() {
        return id;
    }

    /**
     * The name people use for the language.
     *
     * @return {@code "JavaScript"} or {@code "Python"}
     */
    public String displayName() {
        return displayName;
    }

    /**
     * Looks a language up by its polyglot id or a common alias ({@code js}, {@code javascript}, {@code python},
     * {@code py}), ignoring case.
     *
     * @param name the id or alias
     * @return the language
     * @throws IllegalArgumentException if the name is none of those
     */
    public static Language fromId(String name) {
        return switch (name == null ? "" : name.trim().toLowerCase(Locale.ROOT)) {
            case "js", "javascript", "ecmascript" -> JS;
            case "python", "py", "python3" -> PYTHON;
            default ->
                throw new IllegalArgumentException(
                        "unknown script language '" + name + "': expected js (JavaScript) or python");
        };
    }

    /**
     * The language of a script file, from its extension.
     *
     * @param file a path ending in {@code .js}, {@code .mjs} or {@code .py}
     * @return the language
     * @throws IllegalArgumentException if the extension is none of those
     */
    public static Language forFile(Path file) {
        String name =
                file.getFileName() == null ? "" : file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".js") || name.endsWith(".mjs")) {
            return JS;
        }
        if (name.endsWith(".py")) {
            return PYTHON;
        }
        throw new IllegalArgumentException(
                "cannot tell the script language of " + file + ": the name must end in .js or .py");
    }
}

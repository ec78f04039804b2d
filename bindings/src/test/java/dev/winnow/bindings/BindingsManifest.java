package dev.winnow.bindings;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The generator's list of what is bound (abi-manifest.tsv), which the ABI and coverage tests check. */
record BindingsManifest(
        Map<String, Struct> structs,
        List<Field> fields,
        List<Constant> enums,
        List<Constant> defines,
        List<Function> functions,
        List<Callback> callbacks) {

    /** A struct class; cType is "struct X", or "struct X|path" for an anonymous struct member of X. */
    record Struct(String key, String javaClass, String cType) {
        String owner() {
            return cType.contains("|") ? cType.substring(0, cType.indexOf('|')) : cType;
        }

        String path() {
            return cType.contains("|") ? cType.substring(cType.indexOf('|') + 1) : null;
        }
    }

    /** A field of a struct class; cPath is the member path from the outermost C struct. */
    record Field(String structKey, String name, String cPath) {}

    /** An enum constant or #define, bound as a static method of javaClass. */
    record Constant(String name, String javaClass, String extra) {}

    /** A bound function, a static method of javaClass. */
    record Function(String name, String javaClass, String header) {}

    /**
     * A function pointer type: a callback typedef (structKey empty, name = the typedef) or a function-pointer field of
     * a struct; javaClass holds its Function interface, descriptor() and allocate().
     */
    record Callback(String structKey, String name, String javaClass) {}

    static BindingsManifest read() throws IOException {
        Map<String, Struct> structs = new LinkedHashMap<>();
        List<Field> fields = new ArrayList<>();
        List<Constant> enums = new ArrayList<>();
        List<Constant> defines = new ArrayList<>();
        List<Function> functions = new ArrayList<>();
        List<Callback> callbacks = new ArrayList<>();
        try (InputStream in = BindingsManifest.class.getResourceAsStream("abi-manifest.tsv")) {
            if (in == null) {
                throw new IOException("abi-manifest.tsv is missing: run bindings/generator/gen_bindings.py");
            }
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                String[] c = line.split("\t", -1);
                switch (c[0]) {
                    case "struct" -> structs.put(c[1], new Struct(c[1], c[2], c[3]));
                    case "field" -> fields.add(new Field(c[1], c[2], c[3]));
                    case "enum" -> enums.add(new Constant(c[1], c[2], c[3]));
                    case "define" -> defines.add(new Constant(c[1], c[2], c[3]));
                    case "function" -> functions.add(new Function(c[1], c[2], c[3]));
                    case "callback" -> callbacks.add(new Callback("", c[1], c[2]));
                    case "fnfield" -> callbacks.add(new Callback(c[1], c[2], c[3]));
                    default -> throw new IOException("unknown manifest row: " + line);
                }
            }
        }
        return new BindingsManifest(structs, fields, enums, defines, functions, callbacks);
    }
}

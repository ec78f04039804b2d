package dev.winnow.scripting;

import dev.winnow.scripting.host.WinnowApi;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.graalvm.polyglot.HostAccess;

/**
 * The names scripts can call on the {@code winnow} object, read from the host class itself (its
 * {@code @HostAccess.Export} methods), so that editor completion (the notebook page) cannot drift from what cells can
 * call.
 */
public final class ApiReference {
    private ApiReference() {}

    /**
     * One callable name of the {@code winnow} object.
     *
     * @param name the method name, e.g. {@code loadModel}
     * @param signature its parameters and result in script terms, e.g. {@code (string, options?) → Model}; parameters
     *     that only the longer overloads take end in {@code ?}
     */
    public record Member(String name, String signature) {}

    /**
     * The {@code winnow} object's methods, by name (overloads merged into one entry).
     *
     * @return the members, sorted by name
     */
    public static List<Member> winnowMembers() {
        return members(WinnowApi.class);
    }

    /**
     * The host objects scripts reach from {@code winnow} (through the results of its methods, and theirs), by the name
     * signatures use (e.g. {@code Model} for the object {@code winnow.loadModel} returns), with their members.
     *
     * @return type name to members (sorted by type name)
     */
    public static Map<String, List<Member>> hostTypes() {
        Map<String, List<Member>> out = new TreeMap<>();
        ArrayDeque<Class<?>> todo = new ArrayDeque<>(List.of(WinnowApi.class));
        Set<Class<?>> seen = new HashSet<>();
        while (!todo.isEmpty()) {
            Class<?> c = todo.poll();
            if (!seen.add(c)) {
                continue;
            }
            List<Member> members = members(c);
            if (members.isEmpty()) {
                continue;
            }
            if (c != WinnowApi.class) {
                out.put(scriptType(c), members);
            }
            for (Method m : c.getMethods()) {
                if (m.isAnnotationPresent(HostAccess.Export.class)
                        && m.getReturnType().getPackageName().equals(WinnowApi.class.getPackageName())) {
                    todo.add(m.getReturnType());
                }
            }
        }
        return out;
    }

    private static List<Member> members(Class<?> type) {
        Map<String, List<Method>> byName = new TreeMap<>();
        for (Method m : type.getMethods()) {
            if (m.isAnnotationPresent(HostAccess.Export.class) && !Modifier.isStatic(m.getModifiers())) {
                byName.computeIfAbsent(m.getName(), k -> new ArrayList<>()).add(m);
            }
        }
        List<Member> out = new ArrayList<>();
        for (Map.Entry<String, List<Method>> e : byName.entrySet()) {
            List<Method> overloads = e.getValue();
            overloads.sort(Comparator.comparingInt(Method::getParameterCount));
            int required = overloads.get(0).getParameterCount();
            Method longest = overloads.get(overloads.size() - 1);
            List<String> params = new ArrayList<>();
            Class<?>[] types = longest.getParameterTypes();
            for (int i = 0; i < types.length; i++) {
                params.add(scriptType(types[i]) + (i >= required ? "?" : ""));
            }
            String result = longest.getReturnType() == void.class ? "" : " → " + scriptType(longest.getReturnType());
            out.add(new Member(e.getKey(), "(" + String.join(", ", params) + ")" + result));
        }
        return List.copyOf(out);
    }

    private static String scriptType(Class<?> c) {
        if (c == String.class) {
            return "string";
        }
        if (c == boolean.class || c == Boolean.class) {
            return "boolean";
        }
        if (c.isPrimitive() || Number.class.isAssignableFrom(c)) {
            return "number";
        }
        if (List.class.isAssignableFrom(c) || c.isArray()) {
            return "array";
        }
        if (c.getName().equals("org.graalvm.polyglot.Value")) {
            return "any";
        }
        String n = c.getSimpleName();
        return n.startsWith("Script") && n.length() > 6 ? n.substring(6) : n;
    }
}

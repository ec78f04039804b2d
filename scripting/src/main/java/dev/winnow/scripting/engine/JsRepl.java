package dev.winnow.scripting.engine;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Set;

/**
 * REPL semantics for JavaScript cells: top-level {@code const}, {@code let} and {@code class} declarations become
 * {@code var} bindings, so that a cell can be run again (and a name declared again by a later cell) without {@code
 * SyntaxError: Variable "x" has already been declared}, and a declaration whose initialiser was interrupted leaves a
 * readable, re-declarable name instead of one stuck in its temporal dead zone.
 *
 * <p>GraalJS 25 has no option for this ({@code js.const-as-var} does not apply to global declarations, and there is
 * no REPL mode), so the cell's text is rewritten. Only declarations at the top level of the cell are touched (not in
 * blocks, functions or {@code for} heads); strings, template literals, comments and regular expression literals are
 * skipped. {@code const} becomes {@code var} padded to the same length and {@code let} becomes {@code var}, so lines
 * and columns of error messages stay those of the cell; {@code class C ...} becomes {@code var C = class C ...;}
 * (columns on that line shift by the inserted prefix). The price of these semantics: a top-level {@code const} can
 * be assigned again, as in browser consoles' REPL mode.
 */
public final class JsRepl {
    /** Keywords after which a {@code /} starts a regular expression literal. */
    private static final Set<String> REGEX_AFTER = Set.of(
            "return",
            "typeof",
            "instanceof",
            "in",
            "of",
            "new",
            "delete",
            "void",
            "throw",
            "case",
            "do",
            "else",
            "yield",
            "await");

    private enum Kind {
        NONE,
        PUNCT,
        WORD,
        LITERAL
    }

    private JsRepl() {}

    /**
     * Rewrites a cell's top-level lexical declarations into {@code var} bindings.
     *
     * @param code the cell's JavaScript source
     * @return the source to evaluate (the same string when nothing is declared at the top level)
     */
    public static String rewrite(String code) {
        if (code == null) {
            throw new IllegalArgumentException("JsRepl.rewrite: code must not be null");
        }
        List<int[]> edits = new ArrayList<>(); // {position, length replaced, index into texts}
        List<String> texts = new ArrayList<>();
        Deque<Character> stack = new ArrayDeque<>(); // ( [ { and T for a template substitution; C for a class body
        Kind prev = Kind.NONE;
        String prevText = "";
        boolean newline = false; // a line break since the previous significant token
        boolean classPending = false; // a top-level class declaration whose body has not opened yet
        int n = code.length();
        int i = 0;
        while (i < n) {
            char c = code.charAt(i);
            if (c == '\n' || c == '\r' || c == '\u2028' || c == '\u2029') {
                newline = true;
                i++;
                continue;
            }
            if (Character.isWhitespace(c) || c == '\u00a0' || c == '\ufeff') {
                i++;
                continue;
            }
            if (c == '/' && i + 1 < n && code.charAt(i + 1) == '/') {
                while (i < n && code.charAt(i) != '\n' && code.charAt(i) != '\r') {
                    i++;
                }
                continue;
            }
            if (c == '/' && i + 1 < n && code.charAt(i + 1) == '*') {
                int end = code.indexOf("*/", i + 2);
                int stop = end < 0 ? n : end + 2;
                if (code.substring(i, stop).indexOf('\n') >= 0) {
                    newline = true;
                }
                i = stop;
                continue;
            }
            if (c == '#' && i == 0 && n > 1 && code.charAt(1) == '!') { // shebang line
                while (i < n && code.charAt(i) != '\n') {
                    i++;
                }
                continue;
            }
            int start = i;
            if (c == '"' || c == '\'') {
                i = skipString(code, i + 1, c);
                prev = Kind.LITERAL;
                prevText = "";
            } else if (c == '`') {
                i = skipTemplate(code, i + 1, stack);
                prev = Kind.LITERAL;
                prevText = "";
            } else if (c == '/' && regexAllowed(prev, prevText)) {
                i = skipRegex(code, i + 1);
                prev = Kind.LITERAL;
                prevText = "";
            } else if (Character.isJavaIdentifierStart(c) || c == '\\') {
                while (i < n && (Character.isJavaIdentifierPart(code.charAt(i)) || code.charAt(i) == '\\')) {
                    i++;
                }
                String word = code.substring(start, i);
                boolean afterDot = prev == Kind.PUNCT && (prevText.equals(".") || prevText.equals("?."));
                if (stack.isEmpty() && !afterDot) {
                    boolean statementStart = prev == Kind.NONE
                            || (prev == Kind.PUNCT && (prevText.equals(";") || prevText.equals("}")))
                            || (newline
                                    && (prev == Kind.LITERAL
                                            || prev == Kind.WORD && !REGEX_AFTER.contains(prevText)
                                            || prev == Kind.PUNCT && (prevText.equals(")") || prevText.equals("]"))));
                    if (word.equals("const")) {
                        edits.add(new int[] {start, 5, texts.size()});
                        texts.add("var  ");
                    } else if (word.equals("let") && statementStart && declarationFollows(code, i)) {
                        edits.add(new int[] {start, 3, texts.size()});
                        texts.add("var");
                    } else if (word.equals("class") && statementStart) {
                        String name = nextIdentifier(code, i);
                        if (name != null && !name.equals("extends")) {
                            edits.add(new int[] {start, 0, texts.size()});
                            texts.add("var " + name + " = ");
                            classPending = true;
                        }
                    }
                }
                prev = Kind.WORD;
                prevText = word;
            } else if (Character.isDigit(c) || c == '.' && i + 1 < n && Character.isDigit(code.charAt(i + 1))) {
                while (i < n
                        && (Character.isLetterOrDigit(code.charAt(i))
                                || code.charAt(i) == '.'
                                || code.charAt(i) == '_')) {
                    i++;
                }
                prev = Kind.LITERAL;
                prevText = "";
            } else {
                i++;
                String punct = String.valueOf(c);
                if (c == '?'
                        && i < n
                        && code.charAt(i) == '.'
                        && !(i + 1 < n && Character.isDigit(code.charAt(i + 1)))) {
                    i++;
                    punct = "?.";
                }
                switch (c) {
                    case '(', '[' -> stack.push(c);
                    case '{' -> {
                        if (stack.isEmpty() && classPending) {
                            classPending = false;
                            stack.push('C');
                        } else {
                            stack.push('{');
                        }
                    }
                    case ')', ']' -> {
                        if (!stack.isEmpty()) {
                            stack.pop();
                        }
                    }
                    case '}' -> {
                        Character top = stack.isEmpty() ? null : stack.pop();
                        if (top != null && top == 'T') { // end of a template substitution: the template goes on
                            i = skipTemplate(code, i, stack);
                            prev = Kind.LITERAL;
                            prevText = "";
                            newline = false;
                            continue;
                        }
                        if (top != null && top == 'C' && stack.isEmpty()) {
                            edits.add(new int[] {i, 0, texts.size()});
                            texts.add(";");
                        }
                    }
                    case ';' -> {
                        if (stack.isEmpty()) {
                            classPending = false;
                        }
                    }
                    default -> {}
                }
                prev = Kind.PUNCT;
                prevText = punct;
            }
            newline = false;
        }
        if (edits.isEmpty()) {
            return code;
        }
        StringBuilder out = new StringBuilder(code.length() + 16 * edits.size());
        int at = 0;
        for (int[] e : edits) {
            out.append(code, at, e[0]).append(texts.get(e[2]));
            at = e[0] + e[1];
        }
        return out.append(code, at, n).toString();
    }

    private static boolean regexAllowed(Kind prev, String prevText) {
        return switch (prev) {
            case NONE -> true;
            case LITERAL -> false;
            case WORD -> REGEX_AFTER.contains(prevText);
            case PUNCT -> !(prevText.equals(")") || prevText.equals("]"));
        };
    }

    /** Whether {@code let} at {@code i} starts a declaration: an identifier, {@code [} or {@code {} follows. */
    private static boolean declarationFollows(String code, int i) {
        int j = skipSpace(code, i);
        if (j >= code.length()) {
            return false;
        }
        char c = code.charAt(j);
        if (c == '[' || c == '{') {
            return true;
        }
        String word = nextIdentifier(code, i);
        return word != null && !word.equals("in") && !word.equals("instanceof");
    }

    private static String nextIdentifier(String code, int i) {
        int j = skipSpace(code, i);
        int k = j;
        while (k < code.length() && Character.isJavaIdentifierPart(code.charAt(k))) {
            k++;
        }
        return k > j && Character.isJavaIdentifierStart(code.charAt(j)) ? code.substring(j, k) : null;
    }

    private static int skipSpace(String code, int i) {
        while (i < code.length() && Character.isWhitespace(code.charAt(i))) {
            i++;
        }
        return i;
    }

    private static int skipString(String code, int i, char quote) {
        while (i < code.length()) {
            char c = code.charAt(i++);
            if (c == '\\') {
                i++;
            } else if (c == quote || c == '\n') {
                return i;
            }
        }
        return code.length();
    }

    /** Skips template text from {@code i} to the closing backtick, or into a substitution (pushing {@code T}). */
    private static int skipTemplate(String code, int i, Deque<Character> stack) {
        while (i < code.length()) {
            char c = code.charAt(i++);
            if (c == '\\') {
                i++;
            } else if (c == '`') {
                return i;
            } else if (c == '$' && i < code.length() && code.charAt(i) == '{') {
                stack.push('T');
                return i + 1;
            }
        }
        return code.length();
    }

    private static int skipRegex(String code, int i) {
        boolean inClass = false;
        while (i < code.length()) {
            char c = code.charAt(i++);
            if (c == '\\') {
                i++;
            } else if (c == '[') {
                inClass = true;
            } else if (c == ']') {
                inClass = false;
            } else if (c == '/' && !inClass) {
                break;
            } else if (c == '\n') {
                return i;
            }
        }
        while (i < code.length() && Character.isJavaIdentifierPart(code.charAt(i))) {
            i++;
        }
        return i;
    }
}

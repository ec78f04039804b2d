package dev.winnow.models.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * A reference BERT tokenizer that follows a Hugging Face {@code tokenizer.json} of type WordPiece: the oracle our
 * llama.cpp token ids are compared with.
 *
 * <p>Steps, as the {@code tokenizers} library defines them:
 *
 * <ol>
 *   <li>Special added tokens ({@code added_tokens} with {@code special: true}, e.g. {@code [CLS]}) that occur
 *       literally in the text are cut out first and map to their ids (leftmost, longest match).
 *   <li>BertNormalizer: {@code clean_text} drops U+0000, U+FFFD and characters of general category C* other than
 *       tab, newline and carriage return, and turns white space into a space; {@code handle_chinese_chars} puts
 *       spaces around CJK ideographs; {@code strip_accents} (when null it follows {@code lowercase}) decomposes to NFD
 *       and drops non-spacing marks (Mn); {@code lowercase} maps each character to its full lowercase.
 *   <li>BertPreTokenizer: splits on white space (dropped) and around each punctuation character (ASCII punctuation
 *       or Unicode P*), which becomes a word of its own.
 *   <li>WordPiece: each word longer than {@code max_input_chars_per_word} characters becomes {@code [UNK]}; otherwise
 *       the longest vocabulary prefix is taken repeatedly, continuations carrying the {@code ##} prefix; a word with a
 *       part that matches nothing becomes a single {@code [UNK]}.
 *   <li>Template: {@code [CLS]} + pieces + {@code [SEP]}; with truncation to {@code maxLength} the pieces are cut to
 *       {@code maxLength - 2}.
 * </ol>
 *
 * <p>Instances are immutable and thread-safe.
 */
public final class WordPieceTokenizer {
    private final Map<String, Integer> vocab;
    private final String[] idToToken;
    private final int unkId;
    private final int clsId;
    private final int sepId;
    private final String prefix;
    private final int maxInputCharsPerWord;
    private final boolean cleanText;
    private final boolean handleChineseChars;
    private final boolean stripAccents;
    private final boolean lowercase;
    private final List<String> specialTokens;
    private final Map<String, Integer> specialIds;
    private final boolean[] special;

    private WordPieceTokenizer(JsonNode root, String source) throws IOException {
        JsonNode model = root.path("model");
        if (!"WordPiece".equals(model.path("type").asText())) {
            throw new IOException(
                    source + ": model.type is '" + model.path("type").asText() + "', expected WordPiece");
        }
        JsonNode v = model.path("vocab");
        if (!v.isObject() || v.isEmpty()) {
            throw new IOException(source + ": model.vocab is missing or empty");
        }
        vocab = new HashMap<>();
        int maxId = -1;
        for (Iterator<Map.Entry<String, JsonNode>> it = v.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            int id = e.getValue().asInt(-1);
            if (id < 0) {
                throw new IOException(source + ": vocabulary entry '" + e.getKey() + "' has no valid id");
            }
            vocab.put(e.getKey(), id);
            maxId = Math.max(maxId, id);
        }
        idToToken = new String[maxId + 1];
        for (Map.Entry<String, Integer> e : vocab.entrySet()) {
            if (idToToken[e.getValue()] != null) {
                throw new IOException(source + ": id " + e.getValue() + " is used by two tokens");
            }
            idToToken[e.getValue()] = e.getKey();
        }
        for (int i = 0; i < idToToken.length; i++) {
            if (idToToken[i] == null) {
                throw new IOException(source + ": vocabulary has no token with id " + i);
            }
        }
        prefix = model.path("continuing_subword_prefix").asText("##");
        maxInputCharsPerWord = model.path("max_input_chars_per_word").asInt(100);
        unkId = idOf(model.path("unk_token").asText("[UNK]"), source);
        clsId = idOf("[CLS]", source);
        sepId = idOf("[SEP]", source);

        JsonNode norm = root.path("normalizer");
        if (!norm.isMissingNode()
                && !norm.isNull()
                && !"BertNormalizer".equals(norm.path("type").asText())) {
            throw new IOException(
                    source + ": normalizer.type is '" + norm.path("type").asText() + "', expected BertNormalizer");
        }
        cleanText = norm.path("clean_text").asBoolean(true);
        handleChineseChars = norm.path("handle_chinese_chars").asBoolean(true);
        lowercase = norm.path("lowercase").asBoolean(true);
        JsonNode sa = norm.path("strip_accents");
        stripAccents = sa.isMissingNode() || sa.isNull() ? lowercase : sa.asBoolean();

        special = new boolean[idToToken.length];
        specialIds = new HashMap<>();
        List<String> sp = new ArrayList<>();
        for (JsonNode t : root.path("added_tokens")) {
            if (t.path("special").asBoolean(false)) {
                String content = t.path("content").asText();
                int id = t.path("id").asInt(-1);
                if (id < 0 || id >= idToToken.length) {
                    throw new IOException(
                            source + ": added token '" + content + "' has id " + id + " outside the vocabulary");
                }
                special[id] = true;
                specialIds.put(content, id);
                sp.add(content);
            }
        }
        sp.sort((a, b) -> Integer.compare(b.length(), a.length()));
        specialTokens = List.copyOf(sp);
    }

    private int idOf(String token, String source) throws IOException {
        Integer id = vocab.get(token);
        if (id == null) {
            throw new IOException(source + ": the vocabulary has no '" + token + "' token");
        }
        return id;
    }

    /**
     * Reads a {@code tokenizer.json}.
     *
     * @param file the file
     * @return the tokenizer
     * @throws IOException if it cannot be read, is not JSON, or is not a WordPiece tokenizer with a BertNormalizer
     */
    public static WordPieceTokenizer read(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return read(in, file.toString());
        }
    }

    /**
     * Reads a {@code tokenizer.json} from a stream.
     *
     * @param in the JSON text; not closed
     * @param source a description of the input for error messages
     * @return the tokenizer
     * @throws IOException if it cannot be read, is not JSON, or is not a WordPiece tokenizer with a BertNormalizer
     */
    public static WordPieceTokenizer read(InputStream in, String source) throws IOException {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(in);
        } catch (IOException e) {
            throw new IOException(source + ": not valid JSON: " + e.getMessage(), e);
        }
        return new WordPieceTokenizer(root, source);
    }

    /**
     * @return the number of tokens, ids 0 to size - 1
     */
    public int vocabularySize() {
        return idToToken.length;
    }

    /**
     * @param id a token id, 0 to {@link #vocabularySize()} - 1
     * @return the token's text as stored in tokenizer.json ({@code ##ing}, {@code [CLS]}, {@code the})
     */
    public String token(int id) {
        return idToToken[id];
    }

    /**
     * @param id a token id, 0 to {@link #vocabularySize()} - 1
     * @return whether tokenizer.json lists it as a special added token ([PAD], [UNK], [CLS], [SEP], [MASK])
     */
    public boolean isSpecial(int id) {
        return special[id];
    }

    /**
     * @return the id of {@code [UNK]}
     */
    public int unkId() {
        return unkId;
    }

    /**
     * @return the id of {@code [CLS]} (the first token of every encoding)
     */
    public int clsId() {
        return clsId;
    }

    /**
     * @return the id of {@code [SEP]} (the last token of every encoding)
     */
    public int sepId() {
        return sepId;
    }

    /**
     * @return whether the normalizer lowercases
     */
    public boolean lowercase() {
        return lowercase;
    }

    /**
     * @return whether the normalizer strips accents (tokenizer.json's value, or {@link #lowercase()} when it is null)
     */
    public boolean stripAccents() {
        return stripAccents;
    }

    /**
     * Tokenizes without truncation.
     *
     * @param text any text
     * @return {@code [CLS]}, the word pieces, {@code [SEP]}
     */
    public int[] encode(String text) {
        return encode(text, Integer.MAX_VALUE);
    }

    /**
     * Tokenizes, keeping at most {@code maxLength} ids ({@code [CLS]} and {@code [SEP]} included; the word pieces are
     * cut from the right).
     *
     * @param text any text
     * @param maxLength 2 or more
     * @return {@code [CLS]}, the word pieces (at most {@code maxLength - 2}), {@code [SEP]}
     * @throws IllegalArgumentException if {@code maxLength < 2}
     */
    public int[] encode(String text, int maxLength) {
        if (maxLength < 2) {
            throw new IllegalArgumentException("maxLength must be at least 2 ([CLS] and [SEP]), got " + maxLength);
        }
        List<Integer> pieces = new ArrayList<>();
        int start = 0;
        int i = 0;
        while (i < text.length()) {
            String match = null;
            for (String s : specialTokens) {
                if (text.startsWith(s, i)) {
                    match = s;
                    break;
                }
            }
            if (match == null) {
                i++;
                continue;
            }
            wordPieces(text.substring(start, i), pieces);
            pieces.add(specialIds.get(match));
            i += match.length();
            start = i;
        }
        wordPieces(text.substring(start), pieces);
        int keep = (int) Math.min(pieces.size(), (long) maxLength - 2);
        int[] out = new int[keep + 2];
        out[0] = clsId;
        for (int k = 0; k < keep; k++) {
            out[k + 1] = pieces.get(k);
        }
        out[keep + 1] = sepId;
        return out;
    }

    /**
     * @param ids token ids
     * @return their texts, e.g. {@code [[CLS], this, is, a, test, [SEP]]}
     */
    public List<String> tokens(int[] ids) {
        return Arrays.stream(ids).mapToObj(id -> idToToken[id]).toList();
    }

    private void wordPieces(String segment, List<Integer> out) {
        for (String word : preTokenize(normalize(segment))) {
            wordPiece(word, out);
        }
    }

    /** BertNormalizer. */
    String normalize(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            i += Character.charCount(cp);
            if (cleanText) {
                if (cp == 0 || cp == 0xFFFD || isControl(cp)) {
                    continue;
                }
                if (isWhiteSpace(cp)) {
                    b.append(' ');
                    continue;
                }
            }
            if (handleChineseChars && isCjk(cp)) {
                b.append(' ').appendCodePoint(cp).append(' ');
            } else {
                b.appendCodePoint(cp);
            }
        }
        String t = b.toString();
        if (stripAccents) {
            String nfd = Normalizer.normalize(t, Normalizer.Form.NFD);
            StringBuilder c = new StringBuilder(nfd.length());
            nfd.codePoints()
                    .filter(cp -> Character.getType(cp) != Character.NON_SPACING_MARK)
                    .forEach(c::appendCodePoint);
            t = c.toString();
        }
        if (lowercase) {
            StringBuilder c = new StringBuilder(t.length());
            t.codePoints().forEach(cp -> {
                if (cp == 0x130) { // the one unconditional one-to-many lowercase mapping (SpecialCasing.txt)
                    c.append("i\u0307");
                } else {
                    c.appendCodePoint(Character.toLowerCase(cp));
                }
            });
            t = c.toString();
        }
        return t;
    }

    /** BertPreTokenizer: words split on white space and around punctuation. */
    static List<String> preTokenize(String s) {
        List<String> words = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            i += Character.charCount(cp);
            if (isWhiteSpace(cp)) {
                flush(cur, words);
            } else if (isPunctuation(cp)) {
                flush(cur, words);
                words.add(new String(Character.toChars(cp)));
            } else {
                cur.appendCodePoint(cp);
            }
        }
        flush(cur, words);
        return words;
    }

    private static void flush(StringBuilder cur, List<String> words) {
        if (!cur.isEmpty()) {
            words.add(cur.toString());
            cur.setLength(0);
        }
    }

    private void wordPiece(String word, List<Integer> out) {
        int[] cps = word.codePoints().toArray();
        if (cps.length > maxInputCharsPerWord) {
            out.add(unkId);
            return;
        }
        List<Integer> pieces = new ArrayList<>();
        int start = 0;
        while (start < cps.length) {
            int end = cps.length;
            Integer found = null;
            while (start < end) {
                String sub = new String(cps, start, end - start);
                if (start > 0) {
                    sub = prefix + sub;
                }
                Integer id = vocab.get(sub);
                if (id != null) {
                    found = id;
                    break;
                }
                end--;
            }
            if (found == null) {
                out.add(unkId);
                return;
            }
            pieces.add(found);
            start = end;
        }
        out.addAll(pieces);
    }

    /** Unicode White_Space (what Rust's char::is_whitespace tests). */
    static boolean isWhiteSpace(int cp) {
        return (cp >= 0x09 && cp <= 0x0D)
                || cp == 0x20
                || cp == 0x85
                || cp == 0xA0
                || cp == 0x1680
                || (cp >= 0x2000 && cp <= 0x200A)
                || cp == 0x2028
                || cp == 0x2029
                || cp == 0x202F
                || cp == 0x205F
                || cp == 0x3000;
    }

    /** General category C* (Cc, Cf, Cs, Co, Cn), except tab, newline and carriage return. */
    static boolean isControl(int cp) {
        if (cp == '\t' || cp == '\n' || cp == '\r') {
            return false;
        }
        int t = Character.getType(cp);
        return t == Character.CONTROL
                || t == Character.FORMAT
                || t == Character.SURROGATE
                || t == Character.PRIVATE_USE
                || t == Character.UNASSIGNED;
    }

    /** ASCII punctuation or a Unicode P* character. */
    static boolean isPunctuation(int cp) {
        if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126)) {
            return true;
        }
        int t = Character.getType(cp);
        return t == Character.CONNECTOR_PUNCTUATION
                || t == Character.DASH_PUNCTUATION
                || t == Character.START_PUNCTUATION
                || t == Character.END_PUNCTUATION
                || t == Character.INITIAL_QUOTE_PUNCTUATION
                || t == Character.FINAL_QUOTE_PUNCTUATION
                || t == Character.OTHER_PUNCTUATION;
    }

    /** The CJK ideograph blocks BERT pads with spaces. */
    static boolean isCjk(int cp) {
        return (cp >= 0x4E00 && cp <= 0x9FFF)
                || (cp >= 0x3400 && cp <= 0x4DBF)
                || (cp >= 0x20000 && cp <= 0x2A6DF)
                || (cp >= 0x2A700 && cp <= 0x2B73F)
                || (cp >= 0x2B740 && cp <= 0x2B81F)
                || (cp >= 0x2B920 && cp <= 0x2CEAF)
                || (cp >= 0xF900 && cp <= 0xFAFF)
                || (cp >= 0x2F800 && cp <= 0x2FA1F);
    }
}

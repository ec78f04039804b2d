package dev.winnow.runtime.embedding;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.winnow.models.tokenizer.WordPieceTokenizer;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The inputs of the ONNX oracle test: 50 texts of 3 to 500 tokens ([CLS] and [SEP] included) — 20 written to cover
 * the tokenizer's cases (one letter, accents, emoji, CJK, punctuation, digits, white space, long words) and 30
 * prefixes of SciFact documents cut to growing token budgets — plus 2 texts longer than 512 tokens, which are
 * truncated.
 */
final class OracleSentences {
    static final int[] BUDGETS = {
        8, 12, 16, 20, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160, 192, 224, 256, 288, 320, 352, 384, 400, 416,
        432, 448, 464, 480, 500
    };

    private OracleSentences() {}

    static List<String> written() {
        return List.of(
                "a",
                "Hello",
                "This is a test document about machine learning.",
                "Café naïve résumé façade — Übermäßig schöne Grüße!",
                "I love pizza 🍕 and coffee ☕ every morning.",
                "機器學習是人工智慧的一個分支。",
                "東京は日本の首都です。",
                "Hello,world!How are you?(fine)[ok]{yes}",
                "The quick brown fox jumps over the lazy dog 1234567890 times.",
                "  Tabs\tand\nnewlines   and    spaces  ",
                "supercalifragilisticexpialidocious antidisestablishmentarianism",
                "COVID-19 vaccines reduce hospitalisation by 90% (95% CI: 85–93%).",
                "e = mc², ∑ x_i → ∞, α-helix and β-sheet structures.",
                "Don't stop believin' — it's the 'best' \"quote\" ever...",
                "Ünïcödé ÀÉÎÕÜ çñ øå ß ﬁ ligature",
                "https://example.org/path?query=1&b=2 #hashtag @mention",
                "The mitochondrial DNA polymerase gamma (POLG) mutations cause progressive external ophthalmoplegia.",
                "Is aspirin effective for primary prevention of cardiovascular disease in older adults?",
                "Москва — столица России. Αθήνα είναι η πρωτεύουσα.",
                "x" + "y".repeat(120) + " overlong word");
    }

    /**
     * @param scifact the SciFact directory (corpus.jsonl)
     * @param tok the model's reference tokenizer
     * @return 30 document prefixes, the i-th with at most {@code BUDGETS[i]} tokens, and 2 texts over 512 tokens
     */
    static List<String> fromSciFact(Path scifact, WordPieceTokenizer tok) throws IOException {
        ObjectMapper json = new ObjectMapper();
        List<String> docs = new ArrayList<>();
        try (BufferedReader r = Files.newBufferedReader(scifact.resolve("corpus.jsonl"))) {
            String line;
            while ((line = r.readLine()) != null && docs.size() < 200) {
                JsonNode d = json.readTree(line);
                docs.add(d.path("title").asText() + " " + d.path("text").asText());
            }
        }
        List<String> out = new ArrayList<>();
        int next = 0;
        for (int budget : BUDGETS) {
            while (tok.encode(docs.get(next)).length < budget) {
                next++;
            }
            String[] words = docs.get(next++).split(" ");
            StringBuilder b = new StringBuilder();
            for (String w : words) {
                String candidate = b.isEmpty() ? w : b + " " + w;
                if (tok.encode(candidate).length > budget) {
                    break;
                }
                b.setLength(0);
                b.append(candidate);
            }
            out.add(b.toString());
        }
        StringBuilder long1 = new StringBuilder();
        StringBuilder long2 = new StringBuilder();
        for (int i = 0; tok.encode(long1.toString()).length < 800; i++) {
            long1.append(docs.get(i)).append(' ');
        }
        for (int i = 50; tok.encode(long2.toString()).length < 1500; i++) {
            long2.append(docs.get(i)).append(' ');
        }
        out.add(long1.toString().strip());
        out.add(long2.toString().strip());
        return out;
    }
}

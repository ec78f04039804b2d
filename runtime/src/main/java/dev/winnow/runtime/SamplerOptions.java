package dev.winnow.runtime;

import java.util.Map;

/**
 * How to pick the next token. A temperature of 0 is greedy (argmax). Otherwise the chain is, in order: logit bias,
 * penalties, grammar, top-k, typical, top-p, min-p, temperature, then a seeded random draw (llama.cpp's samplers,
 * {@code llama_sampler_init_*}). Values that switch a stage off: topK 0, topP 1, minP 0, typicalP 1, penalties
 * repeat 1 / frequency 0 / presence 0, grammar null.
 *
 * @param temperature &gt;= 0; 0 is greedy
 * @param topK keep the k most likely tokens; 0 off
 * @param topP nucleus sampling mass in (0, 1]; 1 off
 * @param minP drop tokens below minP x the top probability, in [0, 1); 0 off
 * @param typicalP locally typical sampling mass in (0, 1]; 1 off
 * @param repeatPenalty divide logits of recent tokens by this (&gt;= 1 penalises); 1 off
 * @param frequencyPenalty subtract this x count of each recent token; 0 off
 * @param presencePenalty subtract this once for each recent token; 0 off
 * @param penaltyLastN how many recent tokens the penalties look at; -1 the whole context, 0 off
 * @param seed random seed of the final draw
 * @param logitBias token id -&gt; value added to its logit (-infinity forbids the token)
 * @param grammar a GBNF grammar the output must follow, or null; no NUL character (llama.cpp reads a C string)
 * @param grammarRoot the grammar's start symbol
 */
public record SamplerOptions(
        float temperature,
        int topK,
        float topP,
        float minP,
        float typicalP,
        float repeatPenalty,
        float frequencyPenalty,
        float presencePenalty,
        int penaltyLastN,
        int seed,
        Map<Integer, Float> logitBias,
        String grammar,
        String grammarRoot) {

    /**
     * @throws IllegalArgumentException naming the out-of-range value, or if the grammar or its root contains a NUL
     */
    public SamplerOptions {
        if (!(temperature >= 0)) {
            throw new IllegalArgumentException("temperature must be >= 0, got " + temperature);
        }
        if (topK < 0) {
            throw new IllegalArgumentException("topK must be >= 0, got " + topK);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("topP must be in (0, 1], got " + topP);
        }
        if (!(minP >= 0 && minP < 1)) {
            throw new IllegalArgumentException("minP must be in [0, 1), got " + minP);
        }
        if (!(typicalP > 0 && typicalP <= 1)) {
            throw new IllegalArgumentException("typicalP must be in (0, 1], got " + typicalP);
        }
        if (!(repeatPenalty > 0)) {
            throw new IllegalArgumentException("repeatPenalty must be > 0, got " + repeatPenalty);
        }
        if (penaltyLastN < -1) {
            throw new IllegalArgumentException("penaltyLastN must be >= -1, got " + penaltyLastN);
        }
        logitBias = logitBias == null ? Map.of() : Map.copyOf(logitBias);
        grammarRoot = grammarRoot == null ? "root" : grammarRoot;
        CStrings.check(grammar, "grammar");
        CStrings.check(grammarRoot, "grammar root");
    }

    /**
     * @return greedy decoding
     */
    public static SamplerOptions greedy() {
        return new SamplerOptions(0, 0, 1, 0, 1, 1, 0, 0, 64, 0, Map.of(), null, "root");
    }

    /**
     * @param temperature &gt; 0
     * @param seed random seed
     * @return temperature sampling with top-k 40, top-p 0.95, min-p 0.05 (llama.cpp's common defaults)
     */
    public static SamplerOptions sampling(float temperature, int seed) {
        return new SamplerOptions(temperature, 40, 0.95f, 0.05f, 1, 1, 0, 0, 64, seed, Map.of(), null, "root");
    }

    /**
     * @param t temperature
     * @return a copy
     */
    public SamplerOptions withTemperature(float t) {
        return new SamplerOptions(
                t,
                topK,
                topP,
                minP,
                typicalP,
                repeatPenalty,
                frequencyPenalty,
                presencePenalty,
                penaltyLastN,
                seed,
                logitBias,
                grammar,
                grammarRoot);
    }

    /**
     * @param k top-k (0 off)
     * @param p top-p (1 off)
     * @param min min-p (0 off)
     * @param typical typical-p (1 off)
     * @return a copy
     */
    public SamplerOptions withTruncation(int k, float p, float min, float typical) {
        return new SamplerOptions(
                temperature,
                k,
                p,
                min,
                typical,
                repeatPenalty,
                frequencyPenalty,
                presencePenalty,
                penaltyLastN,
                seed,
                logitBias,
                grammar,
                grammarRoot);
    }

    /**
     * @param repeat repeat penalty (1 off)
     * @param frequency frequency penalty (0 off)
     * @param presence presence penalty (0 off)
     * @param lastN window (-1 whole context)
     * @return a copy
     */
    public SamplerOptions withPenalties(float repeat, float frequency, float presence, int lastN) {
        return new SamplerOptions(
                temperature,
                topK,
                topP,
                minP,
                typicalP,
                repeat,
                frequency,
                presence,
                lastN,
                seed,
                logitBias,
                grammar,
                grammarRoot);
    }

    /**
     * @param s seed
     * @return a copy
     */
    public SamplerOptions withSeed(int s) {
        return new SamplerOptions(
                temperature,
                topK,
                topP,
                minP,
                typicalP,
                repeatPenalty,
                frequencyPenalty,
                presencePenalty,
                penaltyLastN,
                s,
                logitBias,
                grammar,
                grammarRoot);
    }

    /**
     * @param bias token id -&gt; added logit
     * @return a copy
     */
    public SamplerOptions withLogitBias(Map<Integer, Float> bias) {
        return new SamplerOptions(
                temperature,
                topK,
                topP,
                minP,
                typicalP,
                repeatPenalty,
                frequencyPenalty,
                presencePenalty,
                penaltyLastN,
                seed,
                bias,
                grammar,
                grammarRoot);
    }

    /**
     * @param gbnf GBNF grammar text
     * @param root start symbol
     * @return a copy
     */
    public SamplerOptions withGrammar(String gbnf, String root) {
        return new SamplerOptions(
                temperature,
                topK,
                topP,
                minP,
                typicalP,
                repeatPenalty,
                frequencyPenalty,
                presencePenalty,
                penaltyLastN,
                seed,
                logitBias,
                gbnf,
                root);
    }
}

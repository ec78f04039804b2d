package dev.winnow.runtime;

import dev.winnow.bindings.llama.llama_h;
import dev.winnow.bindings.llama.llama_logit_bias;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Map;

/**
 * A llama.cpp sampler chain ({@code llama_sampler_chain_init} + {@code llama_sampler_init_*}) built from {@link
 * SamplerOptions}. Stateful (penalties and grammar remember accepted tokens): use one per generation, confined to one
 * thread.
 */
public final class Sampler implements AutoCloseable {
  private final NativeHandle handle;
  private final Vocabulary vocabulary;
  private final SamplerOptions options;
  private MemorySegment penalties = MemorySegment.NULL;

  /**
   * @param model the model (for the vocabulary size and the grammar's tokens)
   * @param options the chain's settings
   * @throws IllegalArgumentException if a logit-bias token is outside the vocabulary or the grammar does not parse
   */
  public Sampler(Model model, SamplerOptions options) {
    this.vocabulary = model.vocabulary();
    this.options = options;
    int nVocab = vocabulary.size();
    for (int t : options.logitBias().keySet()) {
      if (t < 0 || t >= nVocab) {
        throw new IllegalArgumentException("logit bias token " + t + " is outside the vocabulary [0, " + nVocab + ")");
      }
    }
    MemorySegment chain;
    try (Arena arena = Arena.ofConfined()) {
      chain = llama_h.llama_sampler_chain_init(llama_h.llama_sampler_chain_default_params(arena));
    }
    // the chain owns (and frees) the samplers added to it
    this.handle = new NativeHandle(this, "sampler", chain, llama_h::llama_sampler_free);
    try {
      build(model, chain, nVocab);
    } catch (RuntimeException e) {
      handle.close();
      throw e;
    }
  }

  private void build(Model model, MemorySegment chain, int nVocab) {
    SamplerOptions o = options;
    if (!o.logitBias().isEmpty()) {
      try (Arena arena = Arena.ofConfined()) {
        MemorySegment arr = llama_logit_bias.allocateArray(o.logitBias().size(), arena);
        int i = 0;
        for (Map.Entry<Integer, Float> e : o.logitBias().entrySet()) {
          MemorySegment el = llama_logit_bias.asSlice(arr, i++);
          llama_logit_bias.token(el, e.getKey());
          llama_logit_bias.bias(el, e.getValue());
        }
        add(chain, llama_h.llama_sampler_init_logit_bias(nVocab, o.logitBias().size(), arr));
      }
    }
    if (o.penaltyLastN() != 0
        && (o.repeatPenalty() != 1 || o.frequencyPenalty() != 0 || o.presencePenalty() != 0)) {
      penalties = llama_h.llama_sampler_init_penalties(nVocab, o.penaltyLastN(), o.repeatPenalty(),
          o.frequencyPenalty(), o.presencePenalty());
      add(chain, penalties);
    }
    if (o.grammar() != null) {
      try (Arena arena = Arena.ofConfined()) {
        NativeErrors.clear();
        MemorySegment g =
            llama_h.llama_sampler_init_grammar(
                vocabulary.pointerForSampler(), arena.allocateFrom(o.grammar()), arena.allocateFrom(o.grammarRoot()));
        if (g.equals(MemorySegment.NULL)) {
          throw new IllegalArgumentException(
              "GBNF grammar does not parse or has no rule '" + o.grammarRoot() + "'"
                  + NativeErrors.reason("the parser's message went to stderr"));
        }
        add(chain, g);
      }
    }
    if (o.temperature() == 0) {
      add(chain, llama_h.llama_sampler_init_greedy());
      return;
    }
    if (o.topK() > 0) {
      add(chain, llama_h.llama_sampler_init_top_k(o.topK()));
    }
    if (o.typicalP() < 1) {
      add(chain, llama_h.llama_sampler_init_typical(o.typicalP(), 1));
    }
    if (o.topP() < 1) {
      add(chain, llama_h.llama_sampler_init_top_p(o.topP(), 1));
    }
    if (o.minP() > 0) {
      add(chain, llama_h.llama_sampler_init_min_p(o.minP(), 1));
    }
    add(chain, llama_h.llama_sampler_init_temp(o.temperature()));
    add(chain, llama_h.llama_sampler_init_dist(o.seed()));
  }

  private static void add(MemorySegment chain, MemorySegment sampler) {
    if (sampler.equals(MemorySegment.NULL)) {
      throw new LlamaException("llama.cpp could not create a sampler");
    }
    llama_h.llama_sampler_chain_add(chain, sampler);
  }

  /**
   * Samples the next token from the logits of an output entry of the context's last decode and accepts it into the
   * chain's state (llama_sampler_sample).
   *
   * @param context the context that decoded
   * @param batchIndex the entry (negative counts from the end)
   * @return the chosen token id
   */
  public int sample(Context context, int batchIndex) {
    context.checkOutput(batchIndex, "logits"); // results present, entry is an output
    return llama_h.llama_sampler_sample(handle.get(), context.pointer(), batchIndex);
  }

  /**
   * Tells the penalties a token is part of the recent text without having been sampled here (the prompt). Only the
   * penalty stage sees it: a grammar accepts only tokens it allowed (llama.cpp's grammar throws a C++ exception, which
   * aborts the process, on any other token), and it sees every token {@link #sample} returns.
   *
   * @param token the token
   */
  public void accept(int token) {
    vocabulary.checkToken(token);
    handle.get();
    if (!penalties.equals(MemorySegment.NULL)) {
      llama_h.llama_sampler_accept(penalties, token);
    }
  }

  /** Forgets accepted tokens (penalties, grammar state). */
  public void reset() {
    llama_h.llama_sampler_reset(handle.get());
  }

  /**
   * @return the options it was built from
   */
  public SamplerOptions options() {
    return options;
  }

  /** Frees the chain; idempotent. */
  @Override
  public void close() {
    handle.close();
  }
}

// Loads a GGUF model with llama.cpp, decodes a prompt and a few greedy tokens, checks every logit is finite.
// Used by hand (docs/modules/models.md, "Fuzzing") to check that llama.cpp loads synthetic models and
// survives the variants the fuzzer's validator accepts. Build:
//   L=~/.cache/winnow/llama.cpp/3.22.1; gcc -O2 -o /tmp/llama-check check.c -I$L/include -L$L/linux-x64 \
//     -l:libllama.v0.5.0.so -l:libggml.v0.5.0.so -l:libggml-base.so -Wl,-rpath,$L/linux-x64 -lm
// usage: LLAMA_LIB_DIR=$L/linux-x64 [THREADS=n] /tmp/llama-check MODEL [n_gen]
// exit 0 ok, 2 load failed (a clean error), 3 decode failed, 4 non-finite logits; 134 = llama.cpp aborted
#include "llama.h"
#include "ggml-backend.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }
static void quiet(enum ggml_log_level level, const char * text, void * ud) { (void) ud; if (level >= GGML_LOG_LEVEL_ERROR || getenv("VERBOSE")) fputs(text, stderr); }

int main(int argc, char ** argv) {
    const char * path = argv[1];
    int n_gen = argc > 2 ? atoi(argv[2]) : 8;
    llama_log_set(quiet, NULL);
    ggml_backend_load_all_from_path(getenv("LLAMA_LIB_DIR"));
    llama_backend_init();
    struct llama_model_params mp = llama_model_default_params();
    double t0 = now();
    struct llama_model * model = llama_model_load_from_file(path, mp);
    if (!model) { printf("%s: LOAD FAILED\n", path); return 2; }
    const struct llama_vocab * vocab = llama_model_get_vocab(model);
    int n_vocab = llama_vocab_n_tokens(vocab);
    struct llama_context_params cp = llama_context_default_params();
    cp.n_ctx = 256; cp.n_batch = 256; int nt = getenv("THREADS") ? atoi(getenv("THREADS")) : 2; cp.n_threads = nt; cp.n_threads_batch = nt;
    struct llama_context * ctx = llama_init_from_model(model, cp);
    if (!ctx) { printf("%s: CONTEXT FAILED\n", path); return 2; }
    const char * prompt = "Once upon a time, there was a little girl named Lily.";
    llama_token toks[128];
    int n = llama_tokenize(vocab, prompt, strlen(prompt), toks, 128, true, false);
    if (n <= 0) { printf("%s: TOKENIZE FAILED\n", path); return 3; }
    double t1 = now();
    struct llama_batch b = llama_batch_get_one(toks, n);
    int out[64]; int n_out = 0;
    double max_abs = 0;
    for (int step = 0; step <= n_gen; step++) {
        if (llama_decode(ctx, b) != 0) { printf("%s: DECODE FAILED at step %d\n", path, step); return 3; }
        float * logits = llama_get_logits_ith(ctx, -1);
        int best = 0;
        for (int i = 0; i < n_vocab; i++) {
            if (!isfinite(logits[i])) { printf("%s: NON-FINITE logit %d at step %d\n", path, i, step); return 4; }
            if (fabs(logits[i]) > max_abs) max_abs = fabs(logits[i]);
            if (logits[i] > logits[best]) best = i;
        }
        out[n_out++] = best;
        b = llama_batch_get_one(&out[n_out - 1], 1);
    }
    double t2 = now();
    char desc[128]; llama_model_desc(model, desc, sizeof desc);
    printf("%s: OK %s, n_vocab %d, %d prompt tokens + %d generated, max |logit| %.3f, load %.2fs, decode %.2fs, tokens:",
           path, desc, n_vocab, n, n_gen, max_abs, t1 - t0, t2 - t1);
    for (int i = 0; i < n_out; i++) printf(" %d", out[i]);
    printf("\n");
    llama_free(ctx); llama_model_free(model);
    return 0;
}

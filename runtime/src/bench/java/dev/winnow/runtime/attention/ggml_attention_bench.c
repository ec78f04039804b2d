/*
 * llama.cpp's own CPU attention, timed on the shapes of AttentionBench, for the side-by-side GFLOP/s comparison of
 * Winnow's Java dense kernel (docs/benchmarks.md). It builds the ggml graph llama.cpp builds in
 * build_attn_mha: without flash attention kq = mul_mat(k, q), soft_max_ext(kq, mask, 1/sqrt(d)), mul_mat(v^T, kq) with
 * an F32 or F16 KV cache; with flash attention ggml_flash_attn_ext (F16 K/V, F16 mask). Causal mask, random data,
 * the CPU backend loaded from the shipped libraries, 2 threads by default.
 *
 * Build and run (from the repository root):
 *   L=~/.cache/winnow/llama.cpp/3.22.1
 *   gcc -O2 -o /tmp/ggml_attention_bench runtime/src/bench/java/dev/winnow/runtime/attention/ggml_attention_bench.c \
 *       -I$L/include -L$L/linux-x64 -l:libggml.v0.5.0.so -l:libggml-base.so -Wl,-rpath,$L/linux-x64 -lm
 *   /tmp/ggml_attention_bench [threads] [repeats]
 * Prints, per shape and variant, the fastest repeat in wall ms and process CPU ms, and useful GFLOP/s per core
 * (4 * d * n_head * visible (query, key) pairs over CPU seconds), the same count AttentionBenchReport uses.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ggml.h"
#include "ggml-alloc.h"
#include "ggml-backend.h"

static double now_s(clockid_t clock) {
    struct timespec ts;
    clock_gettime(clock, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static float frand(uint64_t *s) {
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (float) ((*s >> 40) & 0xFFFFFF) / (float) 0x1000000 * 2.0f - 1.0f;
}

static void fill(struct ggml_tensor *t, uint64_t *seed) {
    int64_t n = ggml_nelements(t);
    if (t->type == GGML_TYPE_F32) {
        float *buf = malloc(n * sizeof(float));
        for (int64_t i = 0; i < n; i++) buf[i] = frand(seed);
        ggml_backend_tensor_set(t, buf, 0, n * sizeof(float));
        free(buf);
    } else {
        ggml_fp16_t *buf = malloc(n * sizeof(ggml_fp16_t));
        for (int64_t i = 0; i < n; i++) buf[i] = ggml_fp32_to_fp16(frand(seed));
        ggml_backend_tensor_set(t, buf, 0, n * sizeof(ggml_fp16_t));
        free(buf);
    }
}

/* causal mask [n_kv, n_q]: 0 where key position <= query position (queries are the last n_q of n_kv), else -inf */
static void fill_mask(struct ggml_tensor *m, int n_q, int n_kv) {
    int64_t rows = m->ne[1];
    int64_t n = m->ne[0] * rows;
    float *f = malloc(n * sizeof(float));
    for (int64_t i = 0; i < rows; i++)
        for (int64_t j = 0; j < m->ne[0]; j++)
            f[i * m->ne[0] + j] = (i < n_q && j <= n_kv - n_q + i) ? 0.0f : -INFINITY;
    if (m->type == GGML_TYPE_F32) {
        ggml_backend_tensor_set(m, f, 0, n * sizeof(float));
    } else {
        ggml_fp16_t *h = malloc(n * sizeof(ggml_fp16_t));
        for (int64_t i = 0; i < n; i++) h[i] = ggml_fp32_to_fp16(f[i]);
        ggml_backend_tensor_set(m, h, 0, n * sizeof(ggml_fp16_t));
        free(h);
    }
    free(f);
}

int main(int argc, char **argv) {
    int threads = argc > 1 ? atoi(argv[1]) : 2;
    int repeats = argc > 2 ? atoi(argv[2]) : 5;
    const char *dir = getenv("WINNOW_LLAMA_LIB");
    char path[1024];
    if (!dir) {
        snprintf(path, sizeof path, "%s/.cache/winnow/llama.cpp/3.22.1/linux-x64", getenv("HOME"));
        dir = path;
    }
    ggml_backend_load_all_from_path(dir);
    ggml_backend_t cpu = ggml_backend_init_by_type(GGML_BACKEND_DEVICE_TYPE_CPU, NULL);
    if (!cpu) { fprintf(stderr, "no CPU backend in %s\n", dir); return 1; }
    ggml_backend_reg_t reg = ggml_backend_dev_backend_reg(ggml_backend_get_device(cpu));
    ggml_backend_set_n_threads_t set_threads = (ggml_backend_set_n_threads_t) ggml_backend_reg_get_proc_address(reg, "ggml_backend_set_n_threads");
    if (set_threads) set_threads(cpu, threads);

    /* {n_q, n_kv, d, n_head, n_head_kv} as in AttentionBench */
    const int shapes[2][5] = {{4096, 4096, 64, 8, 8}, {64, 16384, 128, 32, 8}};
    const char *names[2] = {"prefill", "query64"};
    const char *variants[3] = {"f32 KV, no flash", "f16 KV, no flash", "f16 KV, flash"};
    printf("%-8s %-18s %9s %9s %13s\n", "shape", "llama.cpp variant", "wall ms", "cpu ms", "GFLOP/s/core");
    for (int s = 0; s < 2; s++) {
        int n_q = shapes[s][0], n_kv = shapes[s][1], d = shapes[s][2], nh = shapes[s][3], nhk = shapes[s][4];
        double pairs = 0;
        for (int i = 0; i < n_q; i++) pairs += n_kv - n_q + i + 1;
        double flops = 4.0 * d * nh * pairs;
        for (int var = 0; var < 3; var++) {
            int flash = var == 2;
            enum ggml_type kv_type = var == 0 ? GGML_TYPE_F32 : GGML_TYPE_F16;
            struct ggml_init_params ip = {ggml_tensor_overhead() * 64 + ggml_graph_overhead(), NULL, true};
            struct ggml_context *ctx = ggml_init(ip);
            struct ggml_tensor *q = ggml_new_tensor_3d(ctx, GGML_TYPE_F32, d, n_q, nh);
            struct ggml_tensor *k = ggml_new_tensor_3d(ctx, kv_type, d, n_kv, nhk);
            struct ggml_tensor *mask = ggml_new_tensor_2d(ctx, flash ? GGML_TYPE_F16 : GGML_TYPE_F32, n_kv, n_q);
            struct ggml_tensor *v;
            struct ggml_tensor *res;
            float scale = 1.0f / sqrtf((float) d);
            if (flash) {
                v = ggml_new_tensor_3d(ctx, kv_type, d, n_kv, nhk);
                res = ggml_flash_attn_ext(ctx, q, k, v, mask, scale, 0.0f, 0.0f);
            } else {
                v = ggml_new_tensor_3d(ctx, kv_type, n_kv, d, nhk); /* llama.cpp stores V transposed without flash attention */
                struct ggml_tensor *kq = ggml_mul_mat(ctx, k, q);
                kq = ggml_soft_max_ext(ctx, kq, mask, scale, 0.0f);
                res = ggml_mul_mat(ctx, v, kq);
            }
            struct ggml_cgraph *gf = ggml_new_graph(ctx);
            ggml_build_forward_expand(gf, res);
            ggml_backend_buffer_t buf = ggml_backend_alloc_ctx_tensors(ctx, cpu);
            ggml_gallocr_t galloc = ggml_gallocr_new(ggml_backend_get_default_buffer_type(cpu));
            if (!ggml_gallocr_alloc_graph(galloc, gf)) { fprintf(stderr, "graph allocation failed\n"); return 1; }
            uint64_t seed = 42;
            fill(q, &seed);
            fill(k, &seed);
            fill(v, &seed);
            fill_mask(mask, n_q, n_kv);
            ggml_backend_graph_compute(cpu, gf); /* warm-up */
            double best_wall = 1e30, best_cpu = 1e30;
            for (int r = 0; r < repeats; r++) {
                double w0 = now_s(CLOCK_MONOTONIC), c0 = now_s(CLOCK_PROCESS_CPUTIME_ID);
                ggml_backend_graph_compute(cpu, gf);
                double w1 = now_s(CLOCK_MONOTONIC), c1 = now_s(CLOCK_PROCESS_CPUTIME_ID);
                if (w1 - w0 < best_wall) best_wall = w1 - w0;
                if (c1 - c0 < best_cpu) best_cpu = c1 - c0;
            }
            printf("%-8s %-18s %9.1f %9.1f %13.1f\n", names[s], variants[var], best_wall * 1e3, best_cpu * 1e3, flops / best_cpu / 1e9);
            fflush(stdout);
            ggml_gallocr_free(galloc);
            ggml_backend_buffer_free(buf);
            ggml_free(ctx);
        }
    }
    ggml_backend_free(cpu);
    return 0;
}

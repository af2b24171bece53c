/*
 * fpcheck: does this CPU keep a process's vector registers intact?
 *
 * A lab tool (tests/lab/README.md, "Status").  Each round loads all 16
 * vector registers with a pattern unique to the process and the round,
 * spins in integer code long enough to be preempted (by the kernel, and by
 * Xen switching vCPUs on the physical CPU), stores the registers back and
 * compares.  Any difference means some layer below the process -- the
 * kernel, Xen's lazy FPU switching, or the emulated CPU -- lost or mixed up
 * register state; glibc's string and malloc code keeps data in these
 * registers, so the same fault corrupts memory in every process.
 *
 *   fpcheck avx SECONDS     ymm0-15 with VEX-encoded moves (what glibc's
 *                           AVX2 memcpy/strlen use)
 *   fpcheck sse SECONDS     xmm0-15 with legacy SSE moves
 *
 * Prints one summary line ("fpcheck avx: rounds=N mismatches=M ..."), the
 * first few mismatches in detail, and exits 0 (no mismatch), 1 (mismatch)
 * or 2 (mode not supported by this CPU: AVX masked, no OSXSAVE).
 * Built with: gcc -O2 -static -o fpcheck fpcheck.c
 */
#include <cpuid.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NREG 16
#define MAX_REPORTED 8

/* Register images: 32 bytes per register (sse uses the low 16). */
static uint8_t want[NREG][32] __attribute__((aligned(32)));
static uint8_t got[NREG][32] __attribute__((aligned(32)));

static int avx_usable(void)
{
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d))
        return 0;
    if (!(c & bit_AVX) || !(c & bit_OSXSAVE))
        return 0;
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return (lo & 6) == 6;          /* XCR0: SSE and AVX state enabled */
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void fill(uint64_t seed)
{
    uint64_t x = seed | 1;
    for (int r = 0; r < NREG; r++)
        for (int i = 0; i < 32; i += 8) {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;     /* xorshift64 */
            memcpy(&want[r][i], &x, 8);
        }
    memset(got, 0, sizeof got);
}

/* Load, spin `spins` integer iterations, store: one asm block, so the
 * compiler cannot touch the vector registers in between. */
#define LOAD_YMM(n)  "vmovdqu " #n "*32(%[w]), %%ymm" #n "\n\t"
#define STORE_YMM(n) "vmovdqu %%ymm" #n ", " #n "*32(%[g])\n\t"
#define LOAD_XMM(n)  "movdqu " #n "*32(%[w]), %%xmm" #n "\n\t"
#define STORE_XMM(n) "movdqu %%xmm" #n ", " #n "*32(%[g])\n\t"
#define ALL(M) M(0) M(1) M(2) M(3) M(4) M(5) M(6) M(7) \
               M(8) M(9) M(10) M(11) M(12) M(13) M(14) M(15)
#define SPIN "1: dec %[n]\n\tjnz 1b\n\t"
#define CLOBBER_V "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", \
    "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15", "memory", "cc"

static void round_avx(uint64_t spins)
{
    __asm__ volatile(ALL(LOAD_YMM) SPIN ALL(STORE_YMM) "vzeroupper\n\t"
                     : [n] "+r"(spins) : [w] "r"(want), [g] "r"(got) : CLOBBER_V);
}

static void round_sse(uint64_t spins)
{
    __asm__ volatile(ALL(LOAD_XMM) SPIN ALL(STORE_XMM)
                     : [n] "+r"(spins) : [w] "r"(want), [g] "r"(got) : CLOBBER_V);
}

int main(int argc, char **argv)
{
    if (argc != 3 || (strcmp(argv[1], "avx") && strcmp(argv[1], "sse"))) {
        fprintf(stderr, "usage: fpcheck avx|sse SECONDS\n");
        return 2;
    }
    int avx = !strcmp(argv[1], "avx");
    double seconds = atof(argv[2]);
    if (avx && !avx_usable()) {
        printf("fpcheck avx: not supported (no AVX or OSXSAVE on this CPU)\n");
        return 2;
    }
    int width = avx ? 32 : 16;
    uint64_t rounds = 0, bad_rounds = 0, bad_low = 0, bad_high = 0;
    int reported = 0;
    double t0 = now(), end = t0 + seconds;
    uint64_t seed = ((uint64_t)getpid() << 32) ^ (uint64_t)(t0 * 1e6);
    while (now() < end) {
        fill(seed + rounds);
        if (avx)
            round_avx(200000);
        else
            round_sse(200000);
        rounds++;
        int bad = 0;
        for (int r = 0; r < NREG; r++) {
            int low = memcmp(want[r], got[r], 16) != 0;
            int high = avx && memcmp(want[r] + 16, got[r] + 16, 16) != 0;
            if (!low && !high)
                continue;
            bad = 1;
            bad_low += low;
            bad_high += high;
            if (reported < MAX_REPORTED) {
                reported++;
                uint64_t w[4], g[4];
                memcpy(w, want[r], sizeof w);
                memcpy(g, got[r], sizeof g);
                printf("fpcheck %s: round %llu reg %d %s differs: want %016llx..%016llx got %016llx..%016llx\n",
                       argv[1], (unsigned long long)rounds, r,
                       low && high ? "whole" : low ? "low half" : "high half",
                       (unsigned long long)w[0], (unsigned long long)w[width / 8 - 1],
                       (unsigned long long)g[0], (unsigned long long)g[width / 8 - 1]);
            }
        }
        bad_rounds += bad;
        if (rounds % 64 == 0)
            usleep(100);        /* a voluntary switch now and then, too */
    }
    printf("fpcheck %s: rounds=%llu mismatches=%llu low=%llu high=%llu seconds=%.0f\n",
           argv[1], (unsigned long long)rounds, (unsigned long long)bad_rounds,
           (unsigned long long)bad_low, (unsigned long long)bad_high, now() - t0);
    fflush(stdout);
    return bad_rounds ? 1 : 0;
}

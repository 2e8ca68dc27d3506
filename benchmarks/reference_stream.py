"""Deterministic synthetic trade stream used to compare engines on one stream.

(dexcex: a verbatim copy of the workplace's shared/bench/reference_stream.py but for
this paragraph, so `make bench` runs on a clean checkout; bench_core checks that the
two still generate the same rows whenever the shared one is present.)

Writes CSV with columns ts_ms,instrument,price,size,side (side = BUY|SELL,
the aggressor side); ts_ms is strictly increasing across the whole file. 10 instruments, ~50 trades/s each (~500/s overall),
Poisson arrivals, per-instrument geometric random-walk price, lognormal size,
and regime switching between balanced flow and one-sided bursts.

    python gen_stream.py [--n 1000000] [--seed 42] [--out reference_stream.csv]

Only the standard library is used, so the output is identical on any
CPython 3.x for the same seed (random.Random is a stable Mersenne Twister).
"""
import argparse
import random

INSTRUMENTS = [f"SYM{i:02d}USDT" for i in range(10)]
START_PRICES = [100.0 * (1.6 ** i) for i in range(10)]  # 100 .. ~6872
RATE_PER_S = 50.0            # trades/s per instrument
START_TS_MS = 1_700_000_000_000


def generate(n, seed):
    rng = random.Random(seed)
    k = len(INSTRUMENTS)
    total_rate_ms = RATE_PER_S * k / 1000.0  # merged Poisson rate per ms
    price = START_PRICES[:]
    p_buy = [0.5] * k          # current probability that the aggressor buys
    burst_left = [0] * k       # trades left in the current one-sided burst
    t = float(START_TS_MS)
    last_ms = START_TS_MS
    for _ in range(n):
        t += rng.expovariate(total_rate_ms)
        last_ms = max(int(t), last_ms + 1)  # strictly increasing ms stamps
        i = rng.randrange(k)
        # regime: occasionally start a one-sided burst of 200..3000 trades
        if burst_left[i] > 0:
            burst_left[i] -= 1
            if burst_left[i] == 0:
                p_buy[i] = 0.5
        elif rng.random() < 0.002:
            burst_left[i] = rng.randint(200, 3000)
            p_buy[i] = rng.choice((0.05, 0.12, 0.88, 0.95))
        buy = rng.random() < p_buy[i]
        # price drifts with the flow, plus noise; 4 significant decimals
        drift = (p_buy[i] - 0.5) * 2e-5
        price[i] *= 1.0 + drift + rng.gauss(0.0, 1e-4)
        size = rng.lognormvariate(-1.0, 1.2)
        yield last_ms, INSTRUMENTS[i], price[i], size, "BUY" if buy else "SELL"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--out", default="reference_stream.csv")
    a = ap.parse_args()
    with open(a.out, "w") as f:
        f.write("ts_ms,instrument,price,size,side\n")
        for ts, sym, px, sz, side in generate(a.n, a.seed):
            f.write(f"{ts},{sym},{px:.4f},{max(sz, 0.0001):.4f},{side}\n")
    print(f"wrote {a.n} rows to {a.out}")


if __name__ == "__main__":
    main()

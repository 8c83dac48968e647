#!/usr/bin/env python3
"""Minimax polynomials for src/kernels/vector_sin_cos.cpp, by the Remez exchange in 60-digit
decimal arithmetic; prints the coefficients as C++ hex floats and the error of the rounded ones.

On |r| <= pi/4, with t = r^2:
  sin r = r + r^3 p(t), p minimising the relative error of sin r, max |t (S(t) - p(t))|;
  cos r = 1 + t (-1/2 + t q(t)), q minimising max |t^2 (C(t) - q(t))|, the error in cos r
  (which is at least 0.7 there).
Usage: scripts/fit_sin_cos.py [terms of p] [terms of q]   (default 7 6, as the code has them)
"""
import decimal
import sys
from decimal import Decimal as D
from fractions import Fraction

decimal.getcontext().prec = 60
R_MAX = D("0.78540")  # pi/4 and the reduction's slack
T_MAX = R_MAX * R_MAX


def series(t, first):
    """S(t) = sum over k >= 1 of (-1)^k t^(k-1) / (2k+1)! for first = 1; C(t), the same with
    (-1)^(k+1) and (2k+2)!, for first = 2."""
    total, k, power = D(0), 1, D(1)
    while True:
        n = 2 * k + first
        term = power / D(factorial(n))
        if (k + first) % 2 == 0:
            term = -term
        total += term
        if abs(term) < D(10) ** -58:
            return total
        power *= t
        k += 1


def factorial(n):
    result = 1
    for i in range(2, n + 1):
        result *= i
    return result


def solve(matrix, rhs):
    n = len(rhs)
    a = [row[:] + [b] for row, b in zip(matrix, rhs)]
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(a[r][col]))
        a[col], a[pivot] = a[pivot], a[col]
        for r in range(n):
            if r != col:
                factor = a[r][col] / a[col][col]
                a[r] = [x - factor * y for x, y in zip(a[r], a[col])]
    return [a[i][n] / a[i][i] for i in range(n)]


def horner(coefficients, t):
    """coefficients lowest first."""
    total = D(0)
    for c in reversed(coefficients):
        total = total * t + c
    return total


def remez(f, weight, terms, grid=3000, rounds=12):
    # Start from the Chebyshev extrema of the interval.
    cos_points = [D(str(__import__("math").cos(__import__("math").pi * i / terms)))
                  for i in range(terms + 1)]
    points = sorted(T_MAX * (1 - c) / 2 for c in cos_points)
    points[0] = T_MAX / 10 ** 6
    samples = [T_MAX * i / grid for i in range(1, grid + 1)]
    values = {t: f(t) for t in samples}
    for _ in range(rounds):
        matrix = [[weight(t) * t ** j for j in range(terms)] + [D(-1) ** i]
                  for i, t in enumerate(points)]
        solution = solve(matrix, [weight(t) * f(t) for t in points])
        coefficients = solution[:terms]
        error = [weight(t) * (values[t] - horner(coefficients, t)) for t in samples]
        # Local extrema of the error, alternating in sign: the next reference.
        extrema = [0]
        for i in range(1, len(samples)):
            if (error[i] > 0) != (error[extrema[-1]] > 0):
                extrema.append(i)
            elif abs(error[i]) > abs(error[extrema[-1]]):
                extrema[-1] = i
        while len(extrema) > terms + 1:
            drop = 0 if abs(error[extrema[0]]) < abs(error[extrema[-1]]) else -1
            extrema.pop(drop)
        if len(extrema) == terms + 1:
            points = [samples[i] for i in extrema]
    return coefficients


def rounded_error(f, weight, coefficients):
    doubles = [D(Fraction(float(c)).numerator) / D(Fraction(float(c)).denominator)
               for c in coefficients]
    samples = [T_MAX * i / 20000 for i in range(1, 20001)]
    return max(abs(weight(t) * (f(t) - horner(doubles, t))) for t in samples)


def main():
    sin_terms = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    cos_terms = int(sys.argv[2]) if len(sys.argv) > 2 else 6
    fits = [("sin: p(t), from r^3", lambda t: series(t, 1), lambda t: t, sin_terms),
            ("cos: q(t), from r^4", lambda t: series(t, 2) , lambda t: t * t, cos_terms)]
    for name, f, weight, terms in fits:
        coefficients = remez(f, weight, terms)
        error = rounded_error(f, weight, coefficients)
        print(f"{name}, highest first; error {float(error):.3g} = 2^{float(error.ln() / D(2).ln()):.1f}")
        for c in reversed(coefficients):
            print(f"    {float(c).hex()},")


if __name__ == "__main__":
    main()

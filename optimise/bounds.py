r"""Every bound formula of the engine, each a plain function of numbers (no solver, no state).

Lower bounds on every plan's cost: ``trivial_bound`` (no solver), ``lagrangian_bound`` (from any
duals and the exact pricing value at them, with its parts ``hub_bound`` and
``per_patient_bound``), ``phase1_bound`` (that no plan exists at all); what a lower bound and a
whole-cost step allow (``round_up_to_step``, ``target_floor``); the window of reduced-cost
enumeration and fixing (``enumeration_window``); and the upper bounds ``crude_upper`` (on every
plan) and ``count_cap`` (on the federations of a plan cheaper than the incumbent).

**The Lagrangian bound (valid at every round).** For any duals :math:`(\pi, \mu)`, define
:math:`\bar c_c = c_c - \sum_{i \in S_c}\pi_i - \mu`. For every integer plan *x* with *k* federations
(columns :math:`c \in x`), summing the definition over its columns gives the identity

.. math::  \text{cost}(x) = \sum_i \pi_i + \mu k + \sum_{c \in x} \bar c_c
           \;\ge\; \sum_i \pi_i + k\,(\mu + r),\qquad r = \min(0, \min_c \bar c_c),

because a plan has exactly *k* columns. The right side is linear in *k*, so its minimum over
:math:`k \in [k_{lo}, k_{cap}]` is at an end point: that is the lower bound *LB(π, μ)* — valid for
ANY duals (LP-optimal or smoothed), as long as *r* is a true lower bound on the reduced cost of
every column, generated or not. Pricing provides it exactly (``branch_price.pricing``). At LP
convergence *r* = 0 and the bound equals the LP optimum of the master over all columns.

The columns of a plan also cover the population *P* exactly once, so
:math:`\sum_{c \in x} \bar c_c \ge P \rho` with :math:`\rho \le \min(0, \min_c \bar c_c / N_c)`;
every column of a pricing window :math:`[L_s, U_s]` has :math:`N_c \ge L_s`, so
:math:`\rho = \min_s r_s / L_s` (``PricingOutcome.rho``). ``lagrangian_bound`` takes the larger of
the two bounds; the second is the tighter one while the most negative columns are large (North
West London at 80 s: 1.6 % instead of 3.6 %).

A third bound uses the hubs: every column holds its own hub, so the *k* columns of a plan have
*k* different hubs, and with :math:`r_h` a lower bound on the reduced cost of every hub-*h* column
(the exact pricing value for a hub priced this round, its knapsack relaxation otherwise)

.. math::  \sum_{c \in x} \bar c_c \;\ge\; R_k = \text{sum of the } k \text{ least } r_h ,

so :math:`LB \ge \sum_i \pi_i + \min_k (\mu k + R_k)` (``PricingOutcome.hub_rc``). Away from
the LP optimum most hubs price far above the least one, and this bound is far the tightest: at
duals from a restricted compact LP of a 402-point CPMP it read 19,424 where *k r* read 9,397. The
best-bound stabilisation centre is then chosen by a bound that means something from the first
rounds; the root's round count hardly changes (108 instead of 107 on that CPMP), but nodes can
be pruned before their LP converges.

**The member cost** (``optimise.membercost``): a federation of *m* members and *N* patients pays
:math:`e_m N \ge e_1 N` (*e* nondecreasing, *m* >= 1), so every plan pays at least :math:`e_1 P`
of it and at most :math:`e_n P` (``member_floor``, ``member_ceiling``); the exact term is priced
(``branch_price.segments``).

**The enumeration window.** Fix duals :math:`(\pi, \mu)` (and cut duals σ), *r* as above and a
target *T*. A plan *x* with cost < *T* that uses a column *c* satisfies, from the identity,
:math:`\bar c_c \le \text{cost}(x) - \sum\pi_i - \mu k - (k-1) r < T - \sum\pi_i - \min_k(\mu k +
(k-1) r) =: \Delta`. So every plan better than *T* is built only from columns with
:math:`\bar c_c < \Delta`; no column has a reduced cost below *r*, so :math:`\Delta \le r` means
no plan is cheaper than *T*.
"""
from __future__ import annotations

import numpy as np

from .problem import FederationProblem


def trivial_bound(problem: FederationProblem) -> float:
    r"""A lower bound that needs no solver.

    A plan with k federations has exactly k hubs, each in its own federation; every other
    practice joins some other allowed hub. With :math:`s_i = a_{ii}` (i as its own hub) and
    :math:`o_i = \min_{h \ne i} a_{ih}` over allowed hubs, a plan costs at least

    .. math::  \min_{k_{lo} \le k \le k_{hi}} \Big( \sum_i o_i - \text{(sum of the k largest } o_i - s_i)
               + k\,(F + \min g) \Big).

    (Taking each practice at its cheapest allowed hub, the older bound, gives 0 on a p-median
    instance; this one counts the n - k points that must travel.) With a member cost, plus
    ``member_floor``."""
    if problem.member_cost is not None:
        return _access_bound(problem) + member_floor(problem)
    return _access_bound(problem)


def member_floor(problem: FederationProblem) -> float:
    """A lower bound on the member cost of every plan: e_1 x the population (0 without one)."""
    mc = problem.member_cost
    return 0.0 if mc is None else float(mc.rate[1]) * problem.population


def member_ceiling(problem: FederationProblem) -> float:
    """An upper bound on the member cost of every plan: the highest rate x the population."""
    mc = problem.member_cost
    return 0.0 if mc is None else float(mc.rate.max()) * problem.population


def _access_bound(problem: FederationProblem) -> float:
    a = np.where(problem.allowed, problem.assign_cost, np.inf)
    k_lo, k_hi = problem.federation_count_range()
    per_federation = problem.hub_cost + problem.size_cost_floor()
    simple = float(a.min(axis=1).sum() + per_federation * k_lo)
    own = np.diag(a).copy()
    np.fill_diagonal(a, np.inf)
    other = a.min(axis=1)
    must_hub = ~np.isfinite(other)           # no other hub allowed: the practice is its own hub
    if not np.isfinite(own[must_hub]).all() or not np.isfinite(simple):
        return simple                        # nobody may take some practice: diagnose says why
    forced = int(must_hub.sum())
    # the k - forced other hubs are practices allowed to be their own hub: at best those that
    # save most by it (the k largest savings, negative ones too: exactly k practices are hubs)
    saving = np.sort((other - own)[~must_hub & np.isfinite(own)])[::-1]
    taken = np.concatenate([[0.0], np.cumsum(saving)])
    ks = np.arange(max(k_lo, forced), min(k_hi, forced + len(saving)) + 1)
    if not len(ks):
        return simple
    base = float(other[~must_hub].sum() + own[must_hub].sum())
    return max(simple, float(np.min(base - taken[ks - forced] + per_federation * ks)))


def round_up_to_step(bound: float, step: float, slack: float = 0.01) -> float:
    """``bound`` up to the next multiple of ``step`` (unchanged when ``step`` is 0 or the bound is
    not finite). Every plan costs a multiple of ``step``, so none costs less than that multiple; a
    bound within ``slack`` steps above a multiple is taken as float noise and stays at it."""
    if step <= 0 or not np.isfinite(bound):
        return bound
    return float(np.ceil((bound - slack * step) / step) * step)


def target_floor(target: float, step: float) -> float:
    """What "no plan cheaper than ``target``" proves: with whole costs (``step`` > 0), no plan
    below the next whole multiple (the target itself is exact, not an LP value with float noise)."""
    return float(np.ceil(target / step - 1e-12) * step) if step > 0 else float(target)


def lagrangian_bound(constant: float, mu: float, priced, k_lo: int, k_hi: int, population: int) -> float:
    """A lower bound on every plan's cost from duals (pi, mu) and the pricing outcome at them
    (``priced``: its ``rc_min``, ``rho`` and ``hub_rc``).

    A plan of k columns costs sum(pi) + k mu + sum of its columns' reduced costs (``constant`` is
    sum(pi) plus any cut terms), with k in [k_lo, k_hi]. The reduced costs sum to at least
    k rc_min, and also to at least population x rho, because the columns' populations add up to
    the whole population; the second is tighter when the most negative columns are large."""
    by_count = min(k * (mu + priced.rc_min) for k in (k_lo, k_hi))
    by_patient = (min(k * mu for k in (k_lo, k_hi)) + population * priced.rho if np.isfinite(priced.rho)
                  else -np.inf)
    return constant + max(by_count, by_patient, hub_bound(mu, priced.hub_rc, k_lo, k_hi))


def hub_bound(mu: float, hub_rc: np.ndarray | None, k_lo: int, k_hi: int) -> float:
    """min over k in [k_lo, k_hi] of k mu + (sum of the k least per-hub bounds): a plan's k
    columns have k different hubs. +inf when no k in range has that many hubs with a column."""
    if hub_rc is None:
        return -np.inf
    r = np.sort(hub_rc[np.isfinite(hub_rc)])
    k_hi = min(k_hi, len(r))
    if k_hi < max(k_lo, 1):
        return 0.0 if k_lo <= 0 else np.inf
    R = np.concatenate([[0.0], np.cumsum(r[:k_hi])])
    k = np.arange(max(k_lo, 0), k_hi + 1)
    return float((k * mu + R[k]).min())


def per_patient_bound(rc_min: float, floor: int) -> float:
    """Lower bound on rc / population for columns of population >= floor whose rc >= rc_min."""
    if rc_min >= 0.0:
        return 0.0
    return rc_min / floor if floor > 0 else -np.inf


def phase1_bound(pi_sum: float, mu: float, rc_min: float, k_lo: int, k_hi: int) -> float:
    """Lagrangian bound on the phase-1 value (the artificial mass needed to cover every practice):
    any cover by k real columns, k in [k_lo, k_hi], has sum(pi) <= -k(mu + r), so a positive
    value proves that no plan exists, even fractionally."""
    step = mu + rc_min
    return pi_sum + min(k_lo * step, k_hi * step)


def enumeration_window(target: float, pi_sum: float, sigma_sum: float, mu: float, r: float, ks) -> float:
    """Delta of the module docstring: only columns of reduced cost below it can be in a plan
    cheaper than ``target`` (``ks``: the least and most federations; ``sigma_sum``: the cut duals'
    sum), with a relative slack of 1e-7 so that float noise never drops such a column."""
    delta = target - pi_sum - sigma_sum - min(mu * k + (k - 1) * r for k in ks)
    delta += 1e-7 * max(1.0, abs(target))
    return delta


def crude_upper(problem: FederationProblem) -> float:
    """No plan costs more: each practice at its dearest allowed hub, each of at most
    min(k_hi, n) federations at its dearest fixed + size cost, and ``member_ceiling``."""
    p = problem
    a = np.where(p.allowed, p.assign_cost, -np.inf).max(axis=1)
    g = 0.0 if p.size_cost is None else float(p.size_cost.values.max())
    k_max = min(p.federation_count_range()[1], p.n)
    upper = float(np.maximum(a[np.isfinite(a)], 0.0).sum() + k_max * max(0.0, p.hub_cost + g) + 1.0)
    return upper + member_ceiling(p) if p.member_cost is not None else upper


def min_column_cost(problem: FederationProblem) -> float:
    """A lower bound on the fixed, size and member cost of every column: F + min g, plus e_1 x
    the least population a column can have (the floor, or its hub's list size)."""
    p = problem
    base = float(p.hub_cost + p.size_cost_floor())
    if p.member_cost is None:
        return base
    least = max(int(p.min_population), int(p.list_size.min()) if p.n else 0, 0)
    return base + float(p.member_cost.rate[1]) * least


def count_cap(ub: float, min_column: float, nonneg: bool, k_lo: int, k_hi: int) -> int:
    """The most federations a plan no dearer than ``ub`` can have: when every column costs at least
    ``min_column`` > 0 (``nonneg``: access costs >= 0), a plan of k columns costs at least
    k x ``min_column``."""
    if nonneg and np.isfinite(ub):
        return int(max(k_lo, min(k_hi, np.floor(ub / min_column + 1e-9))))
    return k_hi

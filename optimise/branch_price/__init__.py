"""Branch and price: the default exact method (``method="branch_price"``), a set-partitioning model
over whole federations, priced exactly, with a valid lower bound whatever stops it.

Read in this order (each module's docstring has its maths):

=====================  ==========================================================================
``solve``              the driver: first plans, the root LP, then the tree; the Result and its stats
``params``             every tunable, in frozen validated dataclasses (``Params``), with its reason
``state``              what a run holds (incumbent, bound, clock, log) and what the tree shares
``columns``            a plan's columns, seed columns, the set-partitioning IP over a column list
``master``             the restricted master LPs (root and node), over a pool of columns
``knapsack``           the pricing knapsack: exact branch and bound, DP fallback, relaxations
``knapsack_jit``       the same search compiled with numba (same nodes, same answers)
``pricing``            exact pricing of one population window, hub by hub
``segments``           pricing with g(N) or the member cost: one pricer per piece x count window
``root``               column generation at the root: phase 1, then the stabilised LP
``cuts``               subset-row cuts at the root: separation and when to add a round
``branching``          a node's rules, the outcome of a node, which branch (strong branching)
``node``               processing one node: its LP by column generation, step by step
``enumeration``        reduced-cost fixing and enumeration, CBC's "infeasible" re-checked
``primal``             finding plans: rounding, hub search, pool IPs, the dive, region passes
``lns``                re-solving regions of a plan exactly, given a sub-solver
``tree``               the tree: best bound first, plunging; the run's bound
=====================  ==========================================================================

This package imports nothing at its top, so that its modules may import one another freely; use
``fedplan.optimise.solve_federations`` or ``fedplan.optimise.branch_price.solve``.
"""

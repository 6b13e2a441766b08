"""Fuel in the compiled engine: what a call and a loop iteration cost, and the charge.

Only translations made for a store that counts fuel contain this code (`translate(...,
fuel=True)`); the others have none, so fuel costs nothing when it is off.
"""

# Instructions that cost no fuel, as in the reference engine (they emit no engine code).
FUEL_FREE = frozenset(("block", "loop", "end", "nop"))


def fuel_costs(instrs, targeted) -> tuple:
    """(cost of one call, {position: cost}): each instruction is charged to the innermost
    region holding it - a loop some branch restarts (charged on each iteration), an
    `if` arm (keyed by the `if` or the `else` position, charged on entering the arm),
    the code after a `br_if` up to the next region (charged when the branch is not
    taken), or else the call (charged on entry). A region is charged whole where it starts, so a
    budget runs out at most one region early, and branches out of a region overcharge."""
    costs = {}
    owners = [None]      # innermost charged region (None: the call)
    opened = []          # for each open block/loop/if: does it own a region?
    call_cost = 0
    for pos, instr in enumerate(instrs):
        name = instr.op.name
        if name in ("block", "loop", "if"):
            owns = name == "if" or (name == "loop" and pos in targeted)
            opened.append(owns)
            if owns:
                if name == "if":
                    call_cost, costs = charge(owners, costs, call_cost)  # the `if` itself
                owners.append(pos)
                costs[pos] = 0
                continue
        elif name == "else":
            call_cost, costs = charge(owners, costs, call_cost)  # the then-arm's jump out
            owners[-1] = pos
            costs[pos] = 0
            continue
        elif name == "br_if":
            # What follows runs only when the branch is not taken: a region of its own,
            # continuing where the current one was (so `owners[-1]` is replaced).
            call_cost, costs = charge(owners, costs, call_cost)
            owners[-1] = pos
            costs[pos] = 0
            continue
        elif name == "end" and not opened:
            call_cost += 1  # the function's return, which the reference engine counts
        elif name == "end" and opened.pop():
            owners.pop()
        if name not in FUEL_FREE:
            call_cost, costs = charge(owners, costs, call_cost)
    return call_cost, costs


def charge(owners, costs, call_cost):
    if owners[-1] is None:
        return call_cost + 1, costs
    costs[owners[-1]] += 1
    return call_cost, costs


def fuel_charge(cost: int) -> list:
    return [f"FUEL[0] -= {cost}", "if FUEL[0] < 0:", "    raise Exhaustion('out of fuel')"]

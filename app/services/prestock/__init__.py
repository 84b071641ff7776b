"""Pre-stocking the van (提前配货): the suggested load (demand.py, pure), what it is computed from
(inputs.py), the ops team's margin and reviewed lists, and confirming a list as the van load (plans.py)."""

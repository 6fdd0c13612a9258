"""The Kintern operator: campaigns become agents, approved runs become Jobs.

Layers, top to bottom: `handlers` (kopf, thin) -> `reconciler` (gathers a snapshot, applies
the plan of `kintern.core.campaigns`) -> `builders` (pure manifest functions) and `kube`
(cluster access) -> `kintern.api` (the models).
"""

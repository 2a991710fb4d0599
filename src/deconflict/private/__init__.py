"""Private matching: find conflicts with another party without a trusted host.

Each party's client covers its volumes with cells (`cover`), matches them with the other
party's by Diffie-Hellman private set intersection through the relay (`psi`), sends only its
geometry clipped to the shared cells, encrypted to the other party (`refine`), and both
clients compute the exact overlap with the engine. The service only stores and forwards.
"""

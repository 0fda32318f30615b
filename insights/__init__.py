"""Findings: latent problems found in the portal's data overnight, and the 复盘 that closes them."""

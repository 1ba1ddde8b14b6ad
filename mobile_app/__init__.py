"""BoneMets Pocket: an offline-first clinical quick reference for bone-metastasis care."""

__version__ = "0.1.0"

"""The one internal domain model of xend and xm, and its translations (SXP, libxl JSON, dict)."""

"""The one internal domain model of xend and xm, and its translations.

:mod:`.domconfig` (DomainConfig) and :mod:`.devices` are the model;
:mod:`.serialize` is its JSON form; :mod:`.libxl_json` and
:mod:`.libxl_back` translate to and from libxl; :mod:`.to_sxp`,
:mod:`.from_sxp` and :mod:`.sxp` speak xend's SXP.  Nothing here imports
daemon code or needs Xen.
"""

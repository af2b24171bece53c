"""xm: the command line of xend."""

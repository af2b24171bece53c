"""Domain services of xend: the domain table, lifecycle operations, restart
policies and the on-disk stores of managed and running domains."""

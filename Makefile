# Project make targets.  Each target is a thin entry point; the logic lives
# with the code it drives.

PYTHON ?= python3

.PHONY: run test man lab lab-shell lab-image

# Install xend/xm, start xend (simulated hypervisor unless this is a Xen
# dom0), create the example domain and show `xm list`.  As root.
run:
	scripts/run-demo.sh

# Install what the tests need and run them (CI runs exactly this).
test:
	scripts/run-tests.sh

# The man pages (xm.1, xend.8, xmdomain.cfg.5, xend-config.sxp.5,
# xendomains.8), generated from the command table and config schemas.
man:
	$(PYTHON) -m xm.manpages build/man

# End-to-end suite on a real Xen 4.17 host (Debian dom0 under QEMU/TCG).
# Report: $(LAB_REPORT) (default lab-report.json); see tests/lab/README.md.
lab:
	$(PYTHON) tests/lab/lab.py run

# Interactive root shell in the lab's dom0 (serial console; Ctrl-a x quits).
lab-shell:
	$(PYTHON) tests/lab/lab.py shell

# Build (or find) the cached dom0 image only.
lab-image:
	$(PYTHON) tests/lab/lab.py image

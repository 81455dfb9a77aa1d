# The image of the container tests: pharo-ctl is the entrypoint and PID 1, the VM test double
# is `pharo` on PATH, and nothing else is in it but bash (for the zeroconf-shaped instance)
# and the shared libraries these programs load. Built by build-images.sh.
FROM scratch
COPY rootfs/ /
ENV PATH=/usr/local/bin:/usr/bin:/bin
LABEL pharo-ctl-test=image
WORKDIR /srv/zinc
ENTRYPOINT ["/usr/local/bin/pharo-ctl", "--dir", "/srv/zinc", "run", "zinc"]
STOPSIGNAL SIGTERM
# Healthy while the REPL answers within 2s (status --probe's default timeout); checked every
# second, so that the tests need not wait long.
HEALTHCHECK --interval=1s --timeout=5s --retries=2 \
  CMD ["/usr/local/bin/pharo-ctl", "--dir", "/srv/zinc", "status", "--probe", "zinc"]

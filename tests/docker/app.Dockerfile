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

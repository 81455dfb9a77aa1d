# The image of the systemd tests: Debian's systemd as PID 1, pharo-ctl and the VM test double
# (`pharo` on PATH), and the units `pharo-ctl unit` writes for the instances, installed as the
# README says. BASE is the Debian root file system build-images.sh imported.
ARG BASE
FROM ${BASE}
COPY rootfs/ /
# The instances are the user pharo's, so the units run as pharo (their images' owner).
RUN useradd --system --home-dir /srv --shell /usr/sbin/nologin pharo \
    && chown -R pharo:pharo /srv \
    && for name in zinc plain zeroconf; do \
      pharo-ctl -C /srv/$name unit $name > /etc/systemd/system/pharo-$name.service; \
    done
LABEL pharo-ctl-test=image
ENV container=docker
STOPSIGNAL SIGRTMIN+3
ENTRYPOINT ["/lib/systemd/systemd"]

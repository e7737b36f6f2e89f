# The docker backend's own image, built locally by `hvrepl lab up --backend docker` where no image registry
# can be reached: FROM scratch never pulls. rootfs.tar (made by hvrepl/lab/docker_backend.py) holds only the
# skeleton of a root file system: bin/lib/lib64/sbin links into usr and empty etc tmp proc sys dev. Each lab
# container then runs with this machine's /usr, Python and project bind-mounted read-only (DESIGN.md §5).
# Where a registry is reachable, ci/Dockerfile builds a complete image instead (`--image`).
FROM scratch
ADD rootfs.tar /
LABEL hvrepl.lab="1"

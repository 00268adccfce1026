// Package deploy holds no code: it is where the deployment files live
// (Containerfile's helper script, nginx.conf, compose.yaml,
// boxoffice.service), and its tests check them with the real tools: podman
// builds the image, nginx balances two instances, systemd-analyze verifies
// the unit.
package deploy

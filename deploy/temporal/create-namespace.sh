#!/bin/sh
# The namespace the journeys run in (TEMPORAL_NAMESPACE), once the server answers.
set -eu
NAMESPACE="${DEFAULT_NAMESPACE:-default}"
until temporal operator cluster health --address "${TEMPORAL_ADDRESS}"; do sleep 2; done
temporal operator namespace describe -n "${NAMESPACE}" --address "${TEMPORAL_ADDRESS}" \
  || temporal operator namespace create -n "${NAMESPACE}" --retention 30d --address "${TEMPORAL_ADDRESS}"

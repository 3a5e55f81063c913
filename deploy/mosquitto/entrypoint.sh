#!/bin/sh
# Fill the broker token and the gateway's address into the configuration, then run Mosquitto.
set -eu
: "${BROKER_TOKEN:?set BROKER_TOKEN}"
: "${GATEWAY_HOST:=gateway}"
: "${GATEWAY_PORT:=8000}"
umask 077
sed -e "s|\${BROKER_TOKEN}|$BROKER_TOKEN|g" -e "s|\${GATEWAY_HOST}|$GATEWAY_HOST|g" \
    -e "s|\${GATEWAY_PORT}|$GATEWAY_PORT|g" /etc/mosquitto-template/mosquitto.conf.template \
    > /tmp/mosquitto.conf
exec mosquitto -c /tmp/mosquitto.conf

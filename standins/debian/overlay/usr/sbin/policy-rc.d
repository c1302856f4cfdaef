#!/bin/sh
# As in the official Debian images: never start services from package scripts.
exit 101

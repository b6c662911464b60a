#pragma once
// The stateful channels cable-server and cable-service run out of the box:
// shared boards ("board:<id>") with a counter, a grid of cells and who is
// present (the demo page's board).

#include "cable/service/state_channels.h"

namespace cable::service {

// Registers the "board:<id>" handlers and creates "board:demo".
//
// A board's state: {"count": n, "cells": [..9..], "present": {user:
// {worker: joins}}}. Joins see the last 20 events (all missed ones on a
// rejoin). Actions: "set" {cell, value}, "increment" {by}. Requests:
// "increment" {by} -> new count; "take" {amount} -> new count, or failure
// when the count is too small; "transfer" {to, amount} -> moves count to
// another board atomically (both channels locked together).
absl::Status RegisterDefaultStateChannels(StateChannels& channels);

}  // namespace cable::service

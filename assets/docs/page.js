"use strict";
// The page script: see the page helper.

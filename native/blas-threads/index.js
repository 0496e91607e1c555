'use strict';
// The compiled addon (build/Release/blas_threads.node); requiring this package throws when it was not built
// (no libopenblas-dev at install time), which the learner treats as "thread control unavailable".
module.exports = require('./build/Release/blas_threads.node');

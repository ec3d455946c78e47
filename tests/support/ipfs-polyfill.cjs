// js-ipfs 0.66 calls Promise.withResolvers, which Node.js 20 lacks; preloaded with
// NODE_OPTIONS=--require (tests/support/jsipfs.sh).
if (typeof Promise.withResolvers !== 'function') {
  Promise.withResolvers = function withResolvers() {
    let resolve;
    let reject;
    const promise = new Promise((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}

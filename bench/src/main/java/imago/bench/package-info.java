/** Benchmarks and load generators; each prints figures and ratios against a baseline. */
package imago.bench;

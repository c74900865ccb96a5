/** Inference workers: scheduling, batching, engines and result writers (issue 5). */
package imago.inference;

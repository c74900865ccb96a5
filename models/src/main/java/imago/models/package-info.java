/** The model registry: manifests, artifacts in S3, validation and versions (issue 4). */
package imago.models;

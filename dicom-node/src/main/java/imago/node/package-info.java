package imago.node;

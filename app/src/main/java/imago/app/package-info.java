package imago.app;

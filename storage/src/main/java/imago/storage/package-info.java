package imago.storage;

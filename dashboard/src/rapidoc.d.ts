// RapiDoc ships no type declarations; importing it registers the <rapi-doc> element.
declare module "rapidoc";

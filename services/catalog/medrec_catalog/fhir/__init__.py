"""catalog's FHIR base (`/fhir`): the MHD Document Responder and a person's records as KR Core."""

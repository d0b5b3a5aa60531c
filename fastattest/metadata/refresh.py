class Health: pass
class MetadataService: pass

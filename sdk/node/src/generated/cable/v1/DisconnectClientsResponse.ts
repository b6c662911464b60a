// Original file: proto/cable/v1/publisher.proto


export interface DisconnectClientsResponse {
}

export interface DisconnectClientsResponse__Output {
}
